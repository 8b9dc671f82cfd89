// Rectified linear unit: y = max(x, 0). Large tensors are cut into one block per worker (memory-bound either way,
// but one core alone does not reach the machine's bandwidth). After a convolution it is fused into it (FuseInto).
using ConvNet.Kernels.Cpu;
using ConvNet.Tensors;
using ConvNet.Threading;

namespace ConvNet.Layers;

public sealed class Relu(string name) : Layer(name)
{
    /// <summary>Below this many elements one thread is quicker than waking the others.</summary>
    private const int ParallelThreshold = 1 << 16;

    public override string Kind => "ReLU";
    public override int[] OutputShapeFor(int[] inputShape) => (int[])inputShape.Clone();

    private WorkerPool _pool = null!;
    private DelegateJob _forward = null!, _backward = null!;
    private Tensor? _x, _dy;
    private int _blocks;

    protected override void OnPlan(WorkerPool pool)
    {
        _pool = pool;
        _blocks = Output.Length >= ParallelThreshold ? pool.Workers : 1;
        _forward = new DelegateJob((block, _) =>
        {
            var (start, length) = BlockRange(block);
            Elementwise.Relu(_x!.Span.Slice(start, length), Output.Span.Slice(start, length));
        });
        _backward = new DelegateJob((block, _) =>
        {
            var (start, length) = BlockRange(block);
            Elementwise.ReluBackward(Output.Span.Slice(start, length), _dy!.Span.Slice(start, length), InputGradient!.Span.Slice(start, length));
        });
    }

    // Blocks start on 16-element boundaries, so every block but the last runs whole vectors.
    private (int Start, int Length) BlockRange(int block)
    {
        int vectors = (Output.Length + 15) / 16;
        var (first, last) = WorkerPool.Block(vectors, _blocks, block);
        int start = Math.Min(first * 16, Output.Length), end = Math.Min(last * 16, Output.Length);
        return (start, end - start);
    }

    private bool _inputActivated;

    /// <summary>Works in place on <paramref name="producer"/>'s output, which the convolution already rectifies as it
    /// writes it: Forward then has nothing to do, and the activation is stored once (the convolution's Output is the
    /// rectified tensor, as with torchvision's ReLU(inplace=True)). Backward is unchanged: it reads the shared Output.</summary>
    public void FuseInto(Conv2d producer)
    {
        AliasOutput(producer.Output);
        producer.AppliesRelu = true;
        _inputActivated = true;
    }

    public override void Forward(Tensor x, bool training)
    {
        RequireInput(x);
        if (_inputActivated && ReferenceEquals(x, Output)) return;
        _x = x;
        _pool.RunDynamic(_forward, _blocks);
    }

    public override void Backward(Tensor x, Tensor dy)
    {
        RequireBackward(x, dy);
        if (InputGradient is null) return;
        _dy = dy;
        _pool.RunDynamic(_backward, _blocks);
    }
}
