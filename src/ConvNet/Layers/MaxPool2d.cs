// Max pooling over square windows (the paper's overlapping 3x3 stride 2), with padding and floor/ceil rounding.
// A training forward records the argmax of every window; backward routes each gradient to it. An inference forward
// computes the maxima alone (faster), and a backward after one records the argmax first.
using ConvNet.Kernels.Cpu;
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
        // A job is one sample's block of channels: whole samples at training batches, parts of one at batch 1.
        _forward = new DelegateJob((job, _) =>
        {
            var (n, c0, c1) = JobRange(job, channels);
            var x = _x!.Sample(n);
            var y = Output.Sample(n);
            for (int c = c0; c < c1; c++)
            {
                if (_recordArgmax)
                    MaxPool.Forward(x.Slice(c * inPlane, inPlane), y.Slice(c * outPlane, outPlane),
                        _argmax.AsSpan((n * channels + c) * outPlane, outPlane), g);
                else
                    MaxPool.ForwardValues(x.Slice(c * inPlane, inPlane), y.Slice(c * outPlane, outPlane), g);
            }
        });
        _backward = new DelegateJob((job, _) =>
        {
            var (n, c0, c1) = JobRange(job, channels);
            var dy = _dy!.Sample(n);
            var dx = InputGradient!.Sample(n);
            for (int c = c0; c < c1; c++)
                MaxPool.Backward(dy.Slice(c * outPlane, outPlane), _argmax.AsSpan((n * channels + c) * outPlane, outPlane),
                    dx.Slice(c * inPlane, inPlane));
        });
    }

    private int _parts = 1;

    private (int Sample, int First, int End) JobRange(int job, int channels)
    {
        var (first, end) = WorkerPool.Block(channels, _parts, job % _parts);
        return (job / _parts, first, end);
    }

    private int Jobs(int batch)
    {
        _parts = Math.Max(1, Math.Min(PlannedInputShape[1], _pool.Workers / batch));
        return batch * _parts;
    }

    public override void Forward(Tensor x, bool training)
    {
        RequireInput(x);
        _x = x;
        // Inference skips the argmax; a backward pass after it (gradients of an eval-mode net) records it then.
        _recordArgmax = training;
        _pool.RunDynamic(_forward, Jobs(x.Shape[0]));
        _argmaxCurrent = training;
    }

    private bool _recordArgmax, _argmaxCurrent;

    public override void Backward(Tensor x, Tensor dy)
    {
        RequireBackward(x, dy);
        if (InputGradient is null) return;
        if (!_argmaxCurrent)
        {
            _x = x;
            _recordArgmax = true;
            _pool.RunDynamic(_forward, Jobs(x.Shape[0]));
            _argmaxCurrent = true;
        }
        _dy = dy;
        _pool.RunDynamic(_backward, Jobs(x.Shape[0]));
    }
}
