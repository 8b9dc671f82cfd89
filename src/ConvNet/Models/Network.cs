// A static chain of layers. Plan(batch) allocates every activation and gradient buffer once; Forward and
// Backward then reuse them, so a training step allocates nothing. Backward reads as Forward in reverse.
using ConvNet.Devices;
using ConvNet.Kernels.Cpu;
using ConvNet.Layers;
using ConvNet.Random;
using ConvNet.Tensors;
using ConvNet.Threading;

namespace ConvNet.Models;

/// <summary>A model's layers and parameters, planned for one batch size. Built with every parameter at zero: call
/// Initialize (the model's own initialisation) or load weights (ModelFiles.Open, WeightLoader.Load) first.
/// One call at a time: Forward and Backward use the network's own buffers, so a second call while one runs throws.
/// For inference on several threads give each a Twin() (same weights, own buffers), or use Inference.ImageClassifier,
/// which serialises its calls.</summary>
public sealed class Network : IForwardNetwork
{
    private int _busy; // 1 while a Forward or Backward runs
    public ModelSpec Spec { get; }
    public IReadOnlyList<Layer> Layers { get; }
    public IReadOnlyList<Parameter> Parameters { get; }
    public int PlannedBatch { get; private set; }

    /// <exception cref="ArgumentException">no layers, a null layer, or layers that do not give the spec's
    /// [classes] output for its input shape</exception>
    public Network(ModelSpec spec, IReadOnlyList<Layer> layers)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0) throw new ArgumentException($"model {spec.Name}: a network needs at least one layer", nameof(layers));
        if (layers.Any(l => l is null)) throw new ArgumentException($"model {spec.Name}: layer {layers.ToList().IndexOf(null!)} is null", nameof(layers));
        // Layers that do not end in the spec's classes gave logits of another width than Classes said.
        int[] shape = [1, .. spec.InputShape];
        foreach (var layer in layers) shape = layer.OutputShapeFor(shape);
        if (shape.Length != 2 || shape[1] != spec.Classes)
            throw new ArgumentException($"model {spec.Name}: the layers turn a {ShapeMath.Format(spec.InputShape)} input into {ShapeMath.Format(shape[1..])} per sample, " +
                $"but the spec has {spec.Classes} classes", nameof(layers));
        Spec = spec;
        Layers = layers;
        Parameters = layers.SelectMany(l => l.Parameters).ToList();
        var duplicate = Parameters.GroupBy(p => p.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"model {spec.Name}: two parameters are named {duplicate.Key}");
    }

    public string Name => Spec.Name;
    public int Classes => Spec.Classes;
    public Tensor Logits => Layers[^1].Output;

    public long ParameterCount => Parameters.Sum(p => (long)p.Value.Length);

    /// <summary>SHA-256 of every parameter's name, shape and values, in order: equal for equal weights whatever file
    /// held them (a run, its copy, an import of its export).</summary>
    public string WeightsDigest()
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var p in Parameters)
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes($"{p.Name}[{string.Join(",", p.Value.Shape)}]\n"));
            hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(p.Value.Span));
        }
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    /// <summary>Allocates buffers for batches of <paramref name="batch"/> samples (nothing happens if already planned so).</summary>
    /// <param name="forTraining">convolutions set to auto time their backward pass too when choosing an algorithm</param>
    public void Plan(int batch, WorkerPool pool, bool forTraining = false)
    {
        ArgumentNullException.ThrowIfNull(pool);
        if (batch == PlannedBatch && ReferenceEquals(pool, _pool) && forTraining == _plannedForTraining) return;
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), "batch size must be at least 1");
        PlanMemory.Require(Spec, Layers, batch, PlanMemory.MachineBytes());
        int[] shape = [batch, .. Spec.InputShape];
        for (int i = 0; i < Layers.Count; i++)
        {
            if (Layers[i] is Conv2d convolution) convolution.PlannedForTraining = forTraining;
            Layers[i].Plan(shape, pool, needInputGradient: i > 0);
            // A ReLU right after a convolution runs inside it (one pass over the activation instead of two).
            if (Layers[i] is Relu relu && i > 0 && Layers[i - 1] is Conv2d conv) relu.FuseInto(conv);
            shape = Layers[i].Output.Shape;
        }
        PlannedBatch = batch;
        _forwardDone = false; // new buffers: nothing for a Backward to read yet
        _plannedForTraining = forTraining;
        _plannedInputShape = [batch, .. Spec.InputShape];
        _pool = pool;
    }

    private WorkerPool? _pool;
    private bool _plannedForTraining;
    private bool _forwardDone; // since the last Plan: Backward reads the activations Forward wrote

    /// <summary>Sets how every convolution is computed on the CPU (see ConvolutionSelection); the next Plan applies it.</summary>
    public void UseConvolutionAlgorithm(ConvAlgorithm algorithm)
    {
        foreach (var convolution in Layers.OfType<Conv2d>()) convolution.Algorithm = algorithm;
        PlannedBatch = 0;
    }

    /// <summary>Sets named convolutions' algorithms (the others keep theirs); the next Plan applies them.</summary>
    public void UseConvolutionAlgorithm(IReadOnlyDictionary<string, ConvAlgorithm> byLayer)
    {
        ArgumentNullException.ThrowIfNull(byLayer);
        foreach (var convolution in Layers.OfType<Conv2d>())
            if (byLayer.TryGetValue(convolution.Name, out var algorithm)) convolution.Algorithm = algorithm;
        PlannedBatch = 0;
    }

    /// <summary>Each convolution's planned algorithm, "conv1=direct, conv3=winograd F(4x4,3x3)", for logs and tables.</summary>
    public string ConvolutionAlgorithms =>
        string.Join(", ", Layers.OfType<Conv2d>().Select(c => $"{c.Name}={c.PlannedAlgorithm ?? "unplanned"}"));
    private int[] _plannedInputShape = [];

    /// <summary>A second network of the same model holding the same parameter objects (not copies): plan it for another
    /// batch size to run inference at either size without a second copy of the weights. Only its own buffers, kernels
    /// and options (convolution algorithm, weight precision) are separate; its dropout layers are unseeded.</summary>
    public Network Twin()
    {
        var twin = NetworkBuilder.Build(Spec);
        // A network made of other layers than its spec's (new Network(spec, layers)) has no twin to build from the spec.
        if (twin.Layers.Count != Layers.Count || Enumerable.Range(0, Layers.Count).Any(i => twin.Layers[i].GetType() != Layers[i].GetType() || twin.Layers[i].Name != Layers[i].Name))
            throw new InvalidOperationException($"model {Name}: its layers are not the ones its spec builds, so Twin cannot rebuild them; build the network from its spec (NetworkBuilder.Build)");
        for (int i = 0; i < Layers.Count; i++)
        {
            if (twin.Layers[i] is Conv2d convolution) convolution.ShareParametersWith((Conv2d)Layers[i]);
            else if (twin.Layers[i] is Linear linear) linear.ShareParametersWith((Linear)Layers[i]);
        }
        return new Network(Spec, twin.Layers); // Parameters is gathered from the layers when constructed
    }

    /// <summary>Fills every parameter by its Init and seeds every dropout layer, all from <paramref name="rng"/>.</summary>
    public void Initialize(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        foreach (var p in Parameters) p.Initialize(rng);
        SeedDropout(rng);
    }

    /// <summary>How every fully connected layer's forward reads its weights: Float32, or BFloat16 for inference only
    /// (a training forward or backward then throws).</summary>
    public void SetWeightPrecision(WeightPrecision precision)
    {
        foreach (var linear in Layers.OfType<Linear>()) linear.Precision = precision;
    }

    /// <summary>Float32, or BFloat16 when any fully connected layer reads bfloat16 weights.</summary>
    public WeightPrecision WeightPrecision =>
        Layers.OfType<Linear>().Any(l => l.Precision != WeightPrecision.Float32) ? WeightPrecision.BFloat16 : WeightPrecision.Float32;

    public void SeedDropout(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ulong key = 1;
        foreach (var d in Layers.OfType<Dropout>()) d.Rng = rng.Derive(key++);
    }

    /// <param name="x">[N, C, H, W] with N equal to the planned batch (another batch size needs Plan again)</param>
    /// <returns>the logits [N, classes]: the last layer's Output buffer, which the next Forward overwrites (copy it,
    /// e.g. ToArray(), to keep it)</returns>
    /// <exception cref="InvalidOperationException">not planned, or another Forward or Backward is running on this network</exception>
    public Tensor Forward(Tensor x, bool training)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (PlannedBatch == 0 || _pool is null) throw new InvalidOperationException($"model {Name}: call Plan(batch, pool) before Forward");
        ShapeMath.Require(Name, "input", _plannedInputShape, x.Shape);
        Enter(nameof(Forward));
        try
        {
            _forwardDone = false; // until every layer has run
            var input = x;
            for (int i = 0; i < Layers.Count; i++) // for, not foreach: an interface enumerator would allocate every step
            {
                Layers[i].Forward(input, training);
                input = Layers[i].Output;
            }
            _forwardDone = true;
            return input;
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    // Two threads in one network would overwrite each other's activations and return wrong logits without a word.
    private void Enter(string call)
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
            throw new InvalidOperationException($"model {Name}: {call} called while another Forward or Backward runs on this network; " +
                "a network holds one set of buffers, so give each thread its own Twin() (or use ImageClassifier, which serialises its calls)");
    }

    /// <summary>Back-propagates dL/dlogits: parameter gradients are added into each Parameter.Gradient.</summary>
    /// <param name="x">the input of the last Forward</param>
    /// <param name="layerDone">called after each layer's backward, last layer first, when its parameter gradients are
    /// final (data-parallel training starts sending them while the layers below still run)</param>
    /// <exception cref="InvalidOperationException">no Forward since the network was planned (its activations, which
    /// Backward reads, are zeros: the gradients would be wrong without a word), or another call is running</exception>
    public void Backward(Tensor x, Tensor dLogits, Action<Layer>? layerDone = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(dLogits);
        if (!_forwardDone)
            throw new InvalidOperationException($"model {Name}: Backward needs a Forward first, on this network and since its last Plan " +
                "(a Twin has buffers of its own)");
        // Another input than the planned one gave gradients of the wrong image without a word.
        ShapeMath.Require(Name, "input", _plannedInputShape, x.Shape);
        ShapeMath.Require(Name, "dLogits", Logits.Shape, dLogits.Shape);
        Enter(nameof(Backward));
        try
        {
            var dy = dLogits;
            for (int i = Layers.Count - 1; i >= 0; i--)
            {
                var input = i == 0 ? x : Layers[i - 1].Output;
                Layers[i].Backward(input, dy);
                layerDone?.Invoke(Layers[i]);
                if (i > 0) dy = Layers[i].InputGradient!;
            }
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    public void ZeroGradients()
    {
        for (int i = 0; i < Parameters.Count; i++) Parameters[i].Gradient.Clear();
    }

    public Parameter Parameter(string name) =>
        Parameters.FirstOrDefault(p => p.Name == (name ?? throw new ArgumentNullException(nameof(name))))
            ?? throw new KeyNotFoundException($"model {Name} has no parameter {name}");
}
