// Tensor: a shape plus float32 storage. Layout is NCHW, row-major (the last index moves fastest).
// Storage comes from the pinned heap and starts on a 64-byte boundary, so SIMD loads never split a
// cache line at the start of a buffer. Tensors are allocated once (when a network is planned) and reused.
namespace ConvNet.Tensors;

public sealed class Tensor
{
    private const int AlignmentFloats = 16; // 64 bytes
    private readonly float[] _storage;
    private readonly int _offset;

    /// <summary>Dimensions, outermost first (N, C, H, W for images; N, F for features). The tensor's own array, not a
    /// copy (kernels read it on every call): never write to it, as Length and the storage do not follow; Reshape gives
    /// another view.</summary>
    public int[] Shape { get; }

    /// <summary>Number of elements (the product of <see cref="Shape"/>).</summary>
    public int Length { get; }

    public Tensor(params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        Shape = (int[])shape.Clone();
        Length = ShapeMath.Product(shape, "Tensor");
        _storage = GC.AllocateArray<float>(Length + AlignmentFloats, pinned: true);
        _offset = AlignedOffset(_storage);
    }

    private Tensor(float[] storage, int offset, int[] shape)
    {
        _storage = storage;
        _offset = offset;
        Shape = shape;
        Length = ShapeMath.Product(shape, "Tensor");
    }

    /// <summary>A tensor that shares this one's storage under another shape with the same element count.</summary>
    public Tensor Reshape(params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        int length = ShapeMath.Product(shape, "Reshape");
        if (length != Length)
            throw new ShapeMismatchException($"Reshape: cannot view {ShapeMath.Format(Shape)} ({Length} elements) as {ShapeMath.Format(shape)} ({length} elements)");
        return new Tensor(_storage, _offset, (int[])shape.Clone());
    }

    public Span<float> Span => _storage.AsSpan(_offset, Length);

    /// <summary>The backing array; the tensor's elements are Storage[Offset .. Offset + Length). For kernels that
    /// hand work to other threads (a Span cannot be stored in a field).</summary>
    public float[] Storage => _storage;
    public int Offset => _offset;

    /// <summary>The elements of sample <paramref name="n"/> along the first dimension.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is not 0..N-1</exception>
    public Span<float> Sample(int n)
    {
        // Unchecked, a sample past the end read the alignment padding (or the storage of another view) as data.
        if (Shape.Length == 0 || (uint)n >= (uint)Shape[0])
            throw new ArgumentOutOfRangeException(nameof(n), n, Shape.Length == 0
                ? $"Sample({n}): a tensor of shape [] has no samples"
                : $"Sample({n}): tensor {ShapeMath.Format(Shape)} has samples 0..{Shape[0] - 1}");
        int size = Length / Shape[0];
        return _storage.AsSpan(_offset + n * size, size);
    }

    public int Rank => Shape.Length;
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="axis"/> is not 0..Rank-1</exception>
    public int Dim(int axis) => (uint)axis < (uint)Shape.Length ? Shape[axis]
        : throw new ArgumentOutOfRangeException(nameof(axis), axis, Shape.Length == 0
            ? $"Dim({axis}): a tensor of shape [] has no axes"
            : $"Dim({axis}): tensor {ShapeMath.Format(Shape)} has axes 0..{Shape.Length - 1}");

    public void Clear() => Span.Clear();

    /// <summary>Overwrites every element with <paramref name="source"/> (as many values as the tensor holds).</summary>
    public void CopyFrom(ReadOnlySpan<float> source)
    {
        if (source.Length != Length)
            throw new ShapeMismatchException($"CopyFrom: source has {source.Length} elements, tensor {ShapeMath.Format(Shape)} has {Length}");
        source.CopyTo(Span);
    }

    public float[] ToArray() => Span.ToArray();

    /// <summary>A new tensor of <paramref name="shape"/> holding a copy of <paramref name="values"/>.</summary>
    /// <exception cref="ShapeMismatchException">the values are not as many as the shape holds</exception>
    public static Tensor FromArray(float[] values, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(shape);
        int length = ShapeMath.Product(shape, "FromArray");
        if (values.Length != length)
            throw new ShapeMismatchException($"FromArray: {values.Length} values cannot fill a {ShapeMath.Format(shape)} tensor ({length} elements)");
        var t = new Tensor(shape);
        t.CopyFrom(values);
        return t;
    }

    public bool SameShape(int[] shape) => ShapeMath.Equal(Shape, shape);

    public override string ToString() => $"Tensor{ShapeMath.Format(Shape)}";

    private static unsafe int AlignedOffset(float[] pinned)
    {
        fixed (float* p = pinned)
        {
            long address = (long)p;
            int misalignment = (int)(address & 63);
            return misalignment == 0 ? 0 : (64 - misalignment) / sizeof(float);
        }
    }
}
