// A layer of a static network. Plan() allocates its output and input-gradient buffers once for a batch shape;
// Forward/Backward then only compute. Backward overwrites dX (InputGradient) and adds into parameter gradients.
using ConvNet.Tensors;
using ConvNet.Threading;

namespace ConvNet.Layers;

public abstract class Layer(string name)
{
    public string Name { get; } = name;

    /// <summary>A short type name for tables: "Conv2d", "ReLU", ...</summary>
    public abstract string Kind { get; }

    private int[] _inputShape = [];

    /// <summary>The planned input shape, batch first. A copy: the layer checks every input against its own.</summary>
    public int[] InputShape => (int[])_inputShape.Clone();

    /// <summary>The planned input shape, for the layers' per-call work (no copy).</summary>
    private protected ReadOnlySpan<int> PlannedInputShape => _inputShape;

    /// <summary>Y, written by Forward: [N, ...].</summary>
    public Tensor Output { get; private set; } = null!;

    /// <summary>dL/dX, written by Backward; null when the network does not need it (the first layer).</summary>
    public Tensor? InputGradient { get; private set; }

    public virtual IReadOnlyList<Parameter> Parameters => [];

    /// <summary>The output shape (batch first) for an input shape (batch first); throws naming the layer if the input does not fit.</summary>
    public abstract int[] OutputShapeFor(int[] inputShape);

    /// <summary>Multiply-adds of one sample's forward pass.</summary>
    public virtual long MultiplyAddsPerSample(int[] inputShape) => 0;

    public void Plan(int[] inputShape, WorkerPool pool, bool needInputGradient)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        ArgumentNullException.ThrowIfNull(pool);
        _inputShape = (int[])inputShape.Clone();
        Output = new Tensor(OutputShapeFor(inputShape));
        InputGradient = needInputGradient ? new Tensor(inputShape) : null;
        OnPlan(pool);
    }

    /// <summary>Makes Output the given tensor (same shape), for a layer that works in place on its input's buffer.</summary>
    internal void AliasOutput(Tensor output)
    {
        ShapeMath.Require(Name, "in-place output", Output.Shape, output.Shape);
        Output = output;
    }

    /// <summary>Allocates what the layer needs besides Output and InputGradient (scratch, masks, kernels).</summary>
    protected virtual void OnPlan(WorkerPool pool) { }

    /// <param name="x">the planned input shape</param>
    public abstract void Forward(Tensor x, bool training);

    /// <param name="x">the input Forward saw</param><param name="dy">dL/dY, Output's shape</param>
    public abstract void Backward(Tensor x, Tensor dy);

    protected void RequireInput(Tensor x) => ShapeMath.Require(Name, "input", _inputShape, x.Shape);

    /// <summary>What every Backward checks first: planned, and x and dy of the planned shapes (a short dy left a
    /// stale gradient, or failed inside a kernel naming nothing).</summary>
    protected void RequireBackward(Tensor x, Tensor dy)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(dy);
        if (Output is null) throw new InvalidOperationException($"{Name}: call Plan before Backward");
        RequireInput(x);
        ShapeMath.Require(Name, "dy", Output.Shape, dy.Shape);
    }

    protected static int[] WithBatch(int batch, params int[] sampleShape) => [batch, .. sampleShape];

    protected void RequireRank(int[] inputShape, int rank, string layout)
    {
        if (inputShape.Length != rank)
            throw new ShapeMismatchException($"{Name}: input has shape {ShapeMath.Format(inputShape)}, expected {layout}");
    }
}
