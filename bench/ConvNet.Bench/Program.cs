// Side-by-side benchmarks against peers; filled in by the fast-kernels work.
Console.WriteLine("ConvNet.Bench: nothing to run yet");
