// How a layer stores the weights its forward pass reads. Float32 is the only one training accepts; BFloat16 (inference
// only, opt-in) keeps fully connected weights rounded to bfloat16, half the bytes to stream at small batches, and
// computes in float32.
namespace ConvNet.Kernels.Cpu;

public enum WeightPrecision
{
    Float32,
    BFloat16,
}
