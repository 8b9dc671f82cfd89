// Max pooling over square windows (the paper's overlapping 3x3 stride 2), with padding and floor/ceil rounding.
// Forward records the argmax of every window; backward routes each gradient to it.
using ConvNet.Kernels;
using ConvNet.Tensors;
using ConvNet.Threading;

namespace ConvNet.Layers;

public sealed class MaxPool2d : Layer
{
    public int KernelSize { get; }
    public int Stride { get; }
    public int Padding { get; }
    public bool CeilMode { get; }
    public override string Kind => "MaxPool2d";

    private int[] _argmax = [];
    private WorkerPool _pool = null!;
    private DelegateJob _forward = null!, _backward = null!;
    private Tensor? _x, _dy;

    public MaxPool2d(string name, int kernel, int stride, int padding = 0, bool ceilMode = false) : base(name)
    {
        (KernelSize, Stride, Padding, CeilMode) = (kernel, stride, padding, ceilMode);
    }

    private PoolGeometry GeometryFor(int[] inputShape)
    {
        RequireRank(inputShape, 4, "[N, C, H, W]");
        var g = new PoolGeometry(inputShape[2], inputShape[3], KernelSize, Stride, Padding, CeilMode);
        g.Validate(Name);
        return g;
    }

    public override int[] OutputShapeFor(int[] inputShape)
    {
        var g = GeometryFor(inputShape);
        return [inputShape[0], inputShape[1], g.OutHeight, g.OutWidth];
    }

    protected override void OnPlan(WorkerPool pool)
    {
        _pool = pool;
        var g = GeometryFor(InputShape);
        int channels = InputShape[1], inPlane = g.InHeight * g.InWidth, outPlane = g.OutHeight * g.OutWidth;
        _argmax = new int[Output.Length];
        _forward = new DelegateJob((n, _) =>
        {
            var x = _x!.Sample(n);
            var y = Output.Sample(n);
            for (int c = 0; c < channels; c++)
                MaxPool.Forward(x.Slice(c * inPlane, inPlane), y.Slice(c * outPlane, outPlane),
                    _argmax.AsSpan((n * channels + c) * outPlane, outPlane), g);
        });
        _backward = new DelegateJob((n, _) =>
        {
            var dy = _dy!.Sample(n);
            var dx = InputGradient!.Sample(n);
            for (int c = 0; c < channels; c++)
                MaxPool.Backward(dy.Slice(c * outPlane, outPlane), _argmax.AsSpan((n * channels + c) * outPlane, outPlane),
                    dx.Slice(c * inPlane, inPlane));
        });
    }

    public override void Forward(Tensor x, bool training)
    {
        RequireInput(x);
        _x = x;
        _pool.Run(_forward, x.Shape[0]);
    }

    public override void Backward(Tensor x, Tensor dy)
    {
        if (InputGradient is null) return;
        _dy = dy;
        _pool.Run(_backward, x.Shape[0]);
    }
}
