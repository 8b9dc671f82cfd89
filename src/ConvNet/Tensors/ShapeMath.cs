// Small helpers for shapes (int arrays, outermost dimension first) and the errors that name them.
namespace ConvNet.Tensors;

public static class ShapeMath
{
    public static int Product(ReadOnlySpan<int> shape, string context)
    {
        long product = 1;
        foreach (int d in shape)
        {
            if (d <= 0)
                throw new ShapeMismatchException($"{context}: shape {Format(shape)} has a non-positive dimension");
            product *= d;
            if (product > int.MaxValue)
                throw new ShapeMismatchException($"{context}: shape {Format(shape)} has more than {int.MaxValue} elements");
        }
        return (int)product;
    }

    public static bool Equal(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);

    public static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    /// <summary>Throws unless <paramref name="actual"/> equals <paramref name="expected"/>, naming the layer and both shapes.</summary>
    public static void Require(string layer, string what, ReadOnlySpan<int> expected, ReadOnlySpan<int> actual)
    {
        if (!Equal(expected, actual))
            throw new ShapeMismatchException($"{layer}: {what} has shape {Format(actual)}, expected {Format(expected)}");
    }

    /// <summary>Output size of a sliding window (convolution or pooling) along one axis.</summary>
    public static int WindowOutput(int input, int kernel, int stride, int padding, bool ceil)
    {
        int span = input + 2 * padding - kernel;
        if (span < 0) return 0;
        int output = (ceil ? (span + stride - 1) / stride : span / stride) + 1;
        // As PyTorch: with ceil rounding the last window must start inside the input or left padding.
        if (ceil && (output - 1) * stride >= input + padding) output--;
        return output;
    }
}

public sealed class ShapeMismatchException(string message) : ArgumentException(message);
