// A tensor in device memory: a shape and a view of a buffer. Owned tensors free their buffer on Dispose; a view
// (Reshape, or a layer that works in place) shares another tensor's memory.
using ConvNet.Tensors;
using ILGPU;
using ILGPU.Runtime;

namespace ConvNet.Devices.Gpu;

public sealed class GpuTensor : IDisposable
{
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? _owned;

    public int[] Shape { get; }
    public int Length { get; }
    public ArrayView<float> View { get; }

    public GpuTensor(Accelerator accelerator, params int[] shape)
    {
        Shape = (int[])shape.Clone();
        Length = ShapeMath.Product(shape, "GpuTensor");
        _owned = accelerator.Allocate1D<float>(Math.Max(Length, 1));
        _owned.MemSetToZero();
        View = _owned.View.SubView(0, Length);
    }

    private GpuTensor(ArrayView<float> view, int[] shape)
    {
        View = view;
        Shape = shape;
        Length = ShapeMath.Product(shape, "GpuTensor");
    }

    /// <summary>The same memory under another shape with as many elements.</summary>
    public GpuTensor Reshape(params int[] shape)
    {
        if (ShapeMath.Product(shape, "Reshape") != Length)
            throw new ShapeMismatchException($"Reshape: cannot view {ShapeMath.Format(Shape)} as {ShapeMath.Format(shape)}");
        return new GpuTensor(View, (int[])shape.Clone());
    }

    public void Upload(ReadOnlySpan<float> values)
    {
        if (values.Length != Length) throw new ShapeMismatchException($"Upload: {values.Length} values for a device tensor {ShapeMath.Format(Shape)}");
        View.CopyFromCPU(values);
    }

    public void Download(Span<float> values)
    {
        if (values.Length != Length) throw new ShapeMismatchException($"Download: {values.Length} values for a device tensor {ShapeMath.Format(Shape)}");
        View.CopyToCPU(values);
    }

    public float[] ToArray()
    {
        var values = new float[Length];
        Download(values);
        return values;
    }

    public void Dispose() => _owned?.Dispose();

    public override string ToString() => $"GpuTensor{ShapeMath.Format(Shape)}";
}
