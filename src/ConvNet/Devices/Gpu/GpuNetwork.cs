// A network on the GPU, built from the host Network's layers (their hyperparameters and parameters) and planned
// once for a batch: parameters, momentum, activations and gradients stay in device memory; only the batch goes in
// and the logits and per-sample losses come out.
using ConvNet.Devices.Gpu.Layers;
using ConvNet.Layers;
using ConvNet.Models;
using ConvNet.Random;
using ConvNet.Tensors;
using ConvNet.Training;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace ConvNet.Devices.Gpu;

public sealed class GpuNetwork : IForwardNetwork, IDisposable
{
    private readonly bool _ownsDevice;
    private GpuTensor? _input, _dLogits, _losses;
    // Two staging buffers, used in turn: the next batch's DMA (on the copy stream) must not overwrite the buffer the
    // step in flight is still copying from on the default stream, and no CUDA event orders the two streams here.
    private GpuTensor[]? _staged;
    private int _stagedIndex;
    private readonly bool[] _stagedReadQueued = new bool[2];
    private Tensor? _stagedSource;
    private AcceleratorStream? _copyStream;
    private MemoryBuffer1D<int, Stride1D.Dense>? _labels, _finite;
    private bool _stepInFlight;
    private Tensor? _hostLogits;
    private float[] _hostLosses = [];
    private readonly Dropout[] _dropouts;

    public GpuDevice Device { get; }
    public Network Host { get; }
    public IReadOnlyList<GpuLayer> Layers { get; }
    public IReadOnlyList<GpuParameter> Parameters { get; }
    public int PlannedBatch { get; private set; }
    public ModelSpec Spec => Host.Spec;
    public int Classes => Host.Classes;

    /// <summary>The training loss's label smoothing (0: one-hot targets; see SoftmaxCrossEntropy).</summary>
    public float LabelSmoothing
    {
        get => _labelSmoothing;
        init => _labelSmoothing = ConvNet.Kernels.Cpu.SoftmaxCrossEntropy.RequireSmoothing(value, nameof(LabelSmoothing));
    }
    private readonly float _labelSmoothing;

    /// <param name="ownsDevice">dispose the device with the network</param>
    public GpuNetwork(GpuDevice device, Network host, bool ownsDevice = false)
    {
        (Device, Host, _ownsDevice) = (device, host, ownsDevice);
        Layers = host.Layers.Select(l => Create(device, l)).ToList();
        Parameters = Layers.SelectMany(l => l.Parameters).ToList();
        _dropouts = host.Layers.OfType<Dropout>().ToArray();
    }

    internal static GpuLayer Create(GpuDevice device, Layer layer) => layer switch
    {
        Conv2d c => new GpuConv2d(device, c),
        Linear l => new GpuLinear(device, l),
        Relu r => new GpuRelu(r),
        LocalResponseNorm2d n => new GpuLocalResponseNorm2d(n),
        MaxPool2d p => new GpuMaxPool2d(p),
        AdaptiveAvgPool2d a => new GpuAdaptiveAvgPool2d(a),
        Flatten f => new GpuFlatten(f),
        Dropout d => new GpuDropout(d),
        _ => throw new NotSupportedException($"layer {layer.Name} ({layer.Kind}) has no GPU implementation"),
    };

    /// <summary>Allocates every device buffer for batches of <paramref name="batch"/> (once; again only for a new batch),
    /// and where the device says so times each GEMM layer's blocking (<see cref="GemmBlockingChoice"/>).</summary>
    /// <param name="forTraining">the network will run training steps: gradients, velocities, dropout masks and the
    /// backward pass's scratch are allocated, and blockings are timed on forward and backward (an inference plan
    /// allocates none of them: about half the device memory of a training plan)</param>
    public void Plan(int batch, bool forTraining = false)
    {
        if (batch == PlannedBatch && (_plannedForTraining || !forTraining)) return;
        if (PlannedBatch != 0)
            throw new InvalidOperationException($"model {Host.Name}: the GPU network is planned for batch {PlannedBatch}{(_plannedForTraining ? "" : " (inference)")}; " +
                $"make a new one for batch {batch}{(forTraining ? " (training)" : "")}");
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), "batch size must be at least 1");
        RequireIndexable(Host, batch);
        // Refused before allocating: on the emulated device the buffers were zeroed until the kernel's OOM killer
        // ended the process with no word; on a GPU, ILGPU's out-of-memory error named neither the batch nor a fix.
        long free = Device.FreeBytes();
        PlanMemory.Require(Spec, Host.Layers, batch, free, Device.FreeMemoryOf, withGradients: forTraining);
        try { Allocate(batch, forTraining); }
        catch (Exception e) when (IsOutOfMemory(e))
        {
            long perSample = 4 * PlanMemory.FloatsPerSample(Spec, Host.Layers, withGradients: forTraining);
            throw new InsufficientMemoryException(
                FormattableString.Invariant($"model {Host.Name}: {Device.Name} ran out of memory planning a batch of {batch:N0} ({e.Message}); {PlanMemory.Megabytes(free)} were free ") +
                FormattableString.Invariant($"before the plan, whose {(forTraining ? "activations and gradients" : "activations")} alone take {PlanMemory.Megabytes(perSample)} a sample (a batch of {free / perSample:N0} at most) ") +
                $"and which needs {(forTraining ? "scratch and masks" : "scratch")} besides: use a smaller batch", e);
        }
        PlannedBatch = batch;
        _plannedForTraining = forTraining;
        if (Device.TimeGemmBlocking) GemmBlockingChoice.Choose(this, forTraining);
    }

    /// <summary>The largest batch the GPU kernels can index (they use 32-bit ints): every tensor, and every
    /// convolution's lowered input (C x KH x KW rows by N x OH x OW columns), within int.MaxValue elements.</summary>
    /// <param name="layer">the layer whose buffer reaches the limit first</param><param name="perSample">its elements a sample</param>
    public static long LargestBatch(Network host, out string layer, out long perSample)
    {
        long most = PlanMemory.LargestBatchByArrays(host.Spec, host.Layers, out layer, out perSample);
        int[] shape = [1, .. host.Spec.InputShape];
        foreach (var l in host.Layers)
        {
            int[] output = l.OutputShapeFor(shape);
            if (l is Conv2d conv)
            {
                long lowered = (long)shape[1] * conv.Kernel * conv.Kernel * output[2] * output[3];
                if (int.MaxValue / lowered < most) (most, layer, perSample) = (int.MaxValue / lowered, $"{l.Name}'s lowered input", lowered);
            }
            shape = output;
        }
        return most;
    }

    /// <summary>Throws naming the largest batch that fits when a batch of <paramref name="batch"/> would overflow the
    /// GPU kernels' 32-bit indexing: before any device buffer exists (a server's largest batch was found only after
    /// minutes of planning its smaller ones).</summary>
    public static void RequireIndexable(Network host, int batch)
    {
        long most = LargestBatch(host, out string layer, out long perSample);
        if (batch > most)
            throw new InsufficientMemoryException(FormattableString.Invariant(
                $"model {host.Name} cannot run a batch of {batch:N0} on a GPU: {layer} would hold {batch * perSample:N0} values, more than the GPU kernels' ") +
                FormattableString.Invariant($"32-bit indexing reaches; the largest batch it can take there is {most:N0}"));
    }

    /// <summary>An allocation the device refused: CUDA's out-of-memory error (its code's name in Error, or "N/A" there
    /// and the name in the message), or the host's on the emulated device.</summary>
    internal static bool IsOutOfMemory(Exception e) =>
        e is OutOfMemoryException
        || e is CudaException cuda && $"{cuda.Error} {cuda.Message}".Contains(nameof(CudaError.CUDA_ERROR_OUT_OF_MEMORY), StringComparison.Ordinal);

    private bool _plannedForTraining;

    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_input))]
    private void RequirePlannedForTraining()
    {
        if (_input is null) throw NotPlanned();
        if (!_plannedForTraining)
            throw new InvalidOperationException($"model {Host.Name}: the GPU network is planned for inference (no gradients, velocities or dropout masks); " +
                "plan a new one with forTraining: true to train");
    }

    private void Allocate(int batch, bool forTraining)
    {
        var accelerator = Device.Accelerator;
        _input = new GpuTensor(accelerator, [batch, .. Spec.InputShape]);
        _staged = [new GpuTensor(accelerator, [batch, .. Spec.InputShape]), new GpuTensor(accelerator, [batch, .. Spec.InputShape])];
        var x = _input;
        for (int i = 0; i < Layers.Count; i++)
        {
            if (Layers[i] is GpuRelu relu && i > 0 && Layers[i - 1] is IReluFusable producer)
            {
                producer.AppliesRelu = true;
                relu.Fused = true;
            }
            Layers[i].Plan(Device, x, needInputGradient: forTraining && i > 0, forTraining);
            x = Layers[i].Output;
        }
        _dLogits = new GpuTensor(accelerator, x.Shape);
        _losses = new GpuTensor(accelerator, batch);
        _labels = accelerator.Allocate1D<int>(batch);
        _finite = accelerator.Allocate1D<int>(1);
        _hostLogits = new Tensor(x.Shape);
        _hostLosses = new float[batch];
    }

    public GpuTensor Input => _input ?? throw NotPlanned();
    public GpuTensor DeviceLogits => Layers[^1].Output;

    /// <summary>Uploads the batch, runs every layer, waits, downloads the logits.</summary>
    public Tensor Forward(Tensor x, bool training)
    {
        if (_input is null) throw NotPlanned();
        if (_stepInFlight) throw new InvalidOperationException($"model {Host.Name}: a training step is in flight; call EndTrainStep before Forward");
        ShapeMath.Require(Host.Name, "input", _input.Shape, x.Shape);
        Device.UploadAsync(_input, x); // a DMA from page-locked memory, ordered before the layers' kernels
        ForwardOnDevice(training);
        Device.Synchronize();
        DeviceLogits.Download(_hostLogits!.Span);
        return _hostLogits;
    }

    /// <summary>Runs the layers on the batch already in <see cref="Input"/>.</summary>
    public void ForwardOnDevice(bool training)
    {
        var x = Input;
        for (int i = 0; i < Layers.Count; i++)
        {
            Layers[i].Forward(x, training);
            x = Layers[i].Output;
        }
    }

    public void BackwardOnDevice(GpuTensor dLogits)
    {
        RequirePlannedForTraining();
        var dy = dLogits;
        for (int i = Layers.Count - 1; i >= 0; i--)
        {
            var input = i == 0 ? Input : Layers[i - 1].Output;
            Layers[i].Backward(input, dy);
            if (i > 0) dy = Layers[i].InputGradient!;
        }
    }

    /// <summary>The logits of the last forward pass, on the host.</summary>
    public Tensor Logits => _hostLogits ?? throw NotPlanned();

    /// <summary>One training step, as the CPU engine's: dropout masks from Rng(Mix(dropoutSeed, d)), forward, softmax
    /// cross-entropy, backward, then the SGD update with <paramref name="sgd"/>'s settings (its velocities live here).</summary>
    /// <returns>the mean loss; when it is not finite nothing is updated</returns>
    public float TrainStep(Tensor x, int[] labels, ulong dropoutSeed, Sgd sgd)
    {
        BeginTrainStep(x, labels, dropoutSeed, sgd);
        return EndTrainStep();
    }

    /// <summary>Queues a whole training step and returns: the batch and the dropout masks are copied from page-locked
    /// host memory by DMA, every kernel runs in order on the stream (the host draws each dropout mask when that
    /// layer is queued, while the GPU runs the layers before it), and the update is skipped on the device when a
    /// loss is not finite. <paramref name="x"/> must not change before <see cref="EndTrainStep"/>.</summary>
    /// <param name="update">false: stop after backward (data-parallel: the gradients are averaged over the ranks
    /// first, then <see cref="UpdateAfterReduce"/> applies them)</param>
    public void BeginTrainStep(Tensor x, int[] labels, ulong dropoutSeed, Sgd sgd, bool update = true)
    {
        RequirePlannedForTraining();
        if (_stepInFlight) throw new InvalidOperationException($"model {Host.Name}: a training step is already in flight; call EndTrainStep first");
        ShapeMath.Require(Host.Name, "input", _input.Shape, x.Shape);
        if (labels.Length != PlannedBatch) throw new ShapeMismatchException($"model {Host.Name}: {labels.Length} labels for a batch of {PlannedBatch}");
        foreach (int label in labels)
            if ((uint)label >= (uint)Classes) throw new ArgumentException($"label {label} is outside [0, {Classes})");
        for (int d = 0; d < _dropouts.Length; d++) _dropouts[d].Rng.Reseed(Rng.Mix(dropoutSeed, (ulong)d));
        _labels!.View.CopyFromCPU(labels); // 4 bytes a sample: before the batch, while the stream is idle
        if (ReferenceEquals(x, _stagedSource))
        {
            _copyStream!.Synchronize(); // queued during the last step: usually done by now
            Device.Uploads.CheckSettled();
            Device.Kernels.Copy(_input.Length, _staged![_stagedIndex].View, _input.View);
            _stagedReadQueued[_stagedIndex] = true;
            _stagedSource = null;
        }
        else Device.UploadAsync(_input, x);
        ForwardOnDevice(training: true);
        Device.Kernels.SoftmaxCrossEntropy(PlannedBatch, DeviceLogits.View, _labels.View, _losses!.View, _dLogits!.View, Classes, PlannedBatch, LabelSmoothing);
        Device.Kernels.AllFinite(1, _losses.View, _finite!.View, PlannedBatch);
        BackwardOnDevice(_dLogits);
        if (update) Update(sgd);
        _stepInFlight = true;
    }

    /// <summary>Starts copying the next batch to the device on a second stream, so the copy overlaps the kernels of
    /// the step in flight; BeginTrainStep with the same tensor then takes it from there (a device-to-device copy).
    /// <paramref name="x"/> must not change until that BeginTrainStep.</summary>
    public void Stage(Tensor x)
    {
        if (_staged is null) throw NotPlanned();
        ShapeMath.Require(Host.Name, "input", _staged[0].Shape, x.Shape);
        _copyStream ??= Device.Accelerator.CreateStream();
        int target = _stagedSource is null ? 1 - _stagedIndex : _stagedIndex; // a batch staged and not yet taken is replaced
        // Its last copy to the input was queued by a step whose EndTrainStep has not synchronised yet: wait for it
        // (only when Stage is called twice within one step; the trainer's order never needs it).
        if (_stagedReadQueued[target]) Device.Accelerator.DefaultStream.Synchronize();
        _stagedReadQueued[target] = false;
        Device.Uploads.Queue(_staged[target], x, _copyStream);
        (_stagedIndex, _stagedSource) = (target, x);
    }

    /// <summary>Waits for the step and brings back its losses and logits.</summary>
    /// <returns>the mean loss (its average in double, as the CPU engine's)</returns>
    public float EndTrainStep()
    {
        if (!_stepInFlight) throw new InvalidOperationException($"model {Host.Name}: no training step in flight");
        _stepInFlight = false;
        Device.Synchronize();
        Array.Clear(_stagedReadQueued); // the default stream has passed every copy from a staging buffer
        _losses!.Download(_hostLosses);
        DeviceLogits.Download(_hostLogits!.Span);
        double total = 0;
        foreach (float l in _hostLosses) total += l;
        return (float)(total / PlannedBatch);
    }

    /// <summary>The paper's SGD update of every parameter on the device (skipped by the kernels when the last
    /// loss computed was not finite).</summary>
    public void Update(Sgd sgd)
    {
        foreach (var p in Parameters)
        {
            float lr = sgd.LearningRate * p.Host.LearningRateMultiplier;
            float decayLr = sgd.WeightDecay * p.Host.DecayMultiplier * lr;
            Device.Kernels.SgdUpdate(p.Value.Length, p.Value.View, p.Gradient.View, p.Velocity.View, _finite!.View, lr, sgd.Momentum, decayLr);
        }
    }

    private List<Parameter>? _hostParameters;

    /// <summary>Data-parallel steps: after EndTrainStep, the device's gradients go to the host Parameters, are averaged
    /// there by <paramref name="reducer"/>, come back, and the update runs when the global loss is finite.</summary>
    /// <returns>the global mean loss</returns>
    public float UpdateAfterReduce(Sgd sgd, Distributed.IGradientReducer reducer, float localLoss)
    {
        foreach (var p in Parameters) p.Gradient.Download(p.Host.Gradient.Span);
        _hostParameters ??= Parameters.Select(p => p.Host).ToList();
        float loss = reducer.Average(_hostParameters, localLoss);
        foreach (var p in Parameters) p.Gradient.Upload(p.Host.Gradient.Span);
        // The update kernels read this flag: every rank skips a step whose global loss is not finite.
        _finite!.View.CopyFromCPU([float.IsFinite(loss) ? 1 : 0]);
        Update(sgd);
        return loss;
    }

    /// <summary>The host Network's parameters (after loading weights into it) to the device.</summary>
    public void UploadParameters() { foreach (var p in Parameters) p.UploadValue(); }
    public void DownloadParameters() { foreach (var p in Parameters) p.DownloadValue(); }

    public void UploadVelocities(Sgd sgd) => ForEachVelocity(sgd, (p, v) => p.UploadVelocity(v));
    public void DownloadVelocities(Sgd sgd) => ForEachVelocity(sgd, (p, v) => p.DownloadVelocity(v));

    private void ForEachVelocity(Sgd sgd, Action<GpuParameter, Tensor> action)
    {
        RequirePlannedForTraining();
        for (int i = 0; i < Parameters.Count; i++)
        {
            if (!ReferenceEquals(sgd.Parameters[i], Parameters[i].Host))
                throw new ArgumentException($"model {Host.Name}: the optimiser's parameter {i} is {sgd.Parameters[i].Name}, not {Parameters[i].Host.Name}");
            action(Parameters[i], sgd.Velocities[i]);
        }
    }

    private InvalidOperationException NotPlanned() => new($"model {Host.Name}: call Plan(batch) before running the GPU network");

    public void Dispose()
    {
        Device.Accelerator.Synchronize(); // nothing queued may still use the buffers freed below
        foreach (var l in Layers) l.Dispose();
        _copyStream?.Synchronize();
        _copyStream?.Dispose();
        _input?.Dispose();
        foreach (var staged in _staged ?? []) staged.Dispose();
        _dLogits?.Dispose();
        _losses?.Dispose();
        _labels?.Dispose();
        _finite?.Dispose();
        if (_ownsDevice) Device.Dispose();
    }
}
