// A tensor as it travels through weight files: a name (e.g. "conv1.weight"), a shape (outermost first) and
// its float32 elements in row-major order. Product(Shape) == Data.Length; a scalar has Shape [].
namespace ConvNet.Interop;

public sealed record NamedTensor(string Name, int[] Shape, float[] Data)
{
    public static long ElementCount(ReadOnlySpan<int> shape)
    {
        long count = 1;
        foreach (int d in shape) count *= d;
        return count;
    }
}
