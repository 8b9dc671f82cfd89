// The benchmark project times the micro-kernels and packing on their own (a kernel workshop), so it may see internals.
using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("ConvNet.Bench")]
