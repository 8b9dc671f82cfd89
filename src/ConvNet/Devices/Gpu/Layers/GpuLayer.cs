// A layer on the GPU, mirroring a host layer (its hyperparameters and parameters): Plan allocates its device
// buffers once for a batch shape, Forward/Backward only launch kernels. Backward overwrites dX and the parameter
// gradients (the host engine adds into gradients it clears each step; the GPU writes them, which is the same step).
using ConvNet.Layers;

namespace ConvNet.Devices.Gpu.Layers;

public abstract class GpuLayer(Layer host) : IDisposable
{
    public Layer Host { get; } = host;
    public string Name => Host.Name;
    public string Kind => Host.Kind;
    public int[] InputShape { get; private set; } = [];
    public GpuTensor Output { get; private set; } = null!;
    public GpuTensor? InputGradient { get; private set; }
    public virtual IReadOnlyList<GpuParameter> Parameters => [];
    protected GpuDevice Device { get; private set; } = null!;

    /// <summary>Whether the plan was for training steps (false: forward passes for inference only, and no buffer that
    /// only a backward pass or a dropout mask uses).</summary>
    public bool PlannedForTraining { get; private set; }

    public void Plan(GpuDevice device, GpuTensor input, bool needInputGradient, bool forTraining = true)
    {
        Device = device;
        PlannedForTraining = forTraining;
        if (forTraining) foreach (var p in Parameters) p.AllocateTrainingBuffers();
        InputShape = (int[])input.Shape.Clone();
        Output = SharedOutput(input) ?? new GpuTensor(device.Accelerator, Host.OutputShapeFor(input.Shape));
        InputGradient = needInputGradient ? new GpuTensor(device.Accelerator, input.Shape) : null;
        OnPlan();
    }

    /// <summary>A layer that works in place returns its input (or a view of it) as its output.</summary>
    protected virtual GpuTensor? SharedOutput(GpuTensor input) => null;

    /// <summary>Allocates what the layer needs besides Output and InputGradient, and reserves workspace.</summary>
    protected virtual void OnPlan() { }

    public abstract void Forward(GpuTensor x, bool training);

    /// <param name="x">the input Forward saw</param><param name="dy">dL/dY</param>
    public abstract void Backward(GpuTensor x, GpuTensor dy);

    public virtual void Dispose()
    {
        Output?.Dispose();
        InputGradient?.Dispose();
        foreach (var p in Parameters) p.Dispose();
    }
}

/// <summary>A layer whose products run on the tiled GEMM (convolution, fully connected): the blocking they use,
/// chosen when the network is planned (GemmBlockingChoice); 0: the device's.</summary>
public interface IGemmLayer
{
    int GemmBlocking { get; set; }

    /// <summary>False where the forward pass runs another kernel (a fully connected layer at batch 1-4): an
    /// inference plan then has nothing of this layer's to time.</summary>
    bool ForwardUsesGemm { get; }
}

/// <summary>A layer whose output a following ReLU can rectify in its epilogue (convolution, fully connected).</summary>
public interface IReluFusable
{
    bool AppliesRelu { get; set; }
}
