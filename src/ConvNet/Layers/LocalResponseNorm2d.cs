// Local response normalisation across channels, ONNX's alpha/size form (see Kernels/Cpu/Normalization/LocalResponseNorm.cs).
// The paper's preset is size 5, alpha 1e-4, beta 0.75, k 2; Caffe's bvlc_alexnet and ONNX's default use k 1.
// A training forward keeps the scale for backward; an inference forward does not (a backward after one recomputes it).
using ConvNet.Kernels.Cpu;
using ConvNet.Tensors;
using ConvNet.Threading;

namespace ConvNet.Layers;

public sealed class LocalResponseNorm2d : Layer
{
    public LrnSettings Settings { get; }
    public override string Kind => "LRN";

    private Tensor _scale = null!;
    private float[][] _work = [];
    private WorkerPool _pool = null!;
    private DelegateJob _forward = null!, _backward = null!;
    private Tensor? _x, _dy;

    public LocalResponseNorm2d(string name, int size = 5, float alpha = 1e-4f, float beta = 0.75f, float k = 2f) : base(name)
    {
        Settings = new LrnSettings(size, alpha, beta, k);
        Settings.Validate(name);
    }

    public override int[] OutputShapeFor(int[] inputShape)
    {
        RequireRank(inputShape, 4, "[N, C, H, W]");
        return (int[])inputShape.Clone();
    }

    protected override void OnPlan(WorkerPool pool)
    {
        _pool = pool;
        _scale = new Tensor(InputShape);
        int sample = _scale.Length / InputShape[0];
        _work = new float[pool.Workers][];
        int channels = InputShape[1], plane = InputShape[2] * InputShape[3];
        for (int w = 0; w < pool.Workers; w++) _work[w] = new float[sample + plane];
        // Training keeps every scale for backward; inference writes each channel's into one plane of the worker's scratch.
        _forward = new DelegateJob((n, worker) =>
            LocalResponseNorm.Forward(_x!.Sample(n), Output.Sample(n),
                _keepScale ? _scale.Sample(n) : _work[worker].AsSpan(0, plane), channels, plane, Settings));
        _backward = new DelegateJob((n, worker) =>
            LocalResponseNorm.Backward(_x!.Sample(n), Output.Sample(n), _scale.Sample(n), _dy!.Sample(n),
                InputGradient!.Sample(n), _work[worker], channels, plane, Settings));
    }

    public override void Forward(Tensor x, bool training)
    {
        RequireInput(x);
        _x = x;
        _keepScale = training;
        _pool.RunDynamic(_forward, x.Shape[0]);
        _scaleCurrent = training;
    }

    private bool _keepScale, _scaleCurrent;

    public override void Backward(Tensor x, Tensor dy)
    {
        RequireBackward(x, dy);
        if (InputGradient is null) return;
        if (!_scaleCurrent)
        {
            // The forward was for inference and kept no scale: compute it (and the same output) again.
            _x = x;
            _keepScale = true;
            _pool.RunDynamic(_forward, x.Shape[0]);
            _scaleCurrent = true;
        }
        (_x, _dy) = (x, dy);
        _pool.RunDynamic(_backward, x.Shape[0]);
    }
}
