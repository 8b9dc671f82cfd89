// The CPU engine behind the training seam: exactly the step the trainer always ran (the host Network is the device).
using ConvNet.Distributed;
using ConvNet.Layers;
using ConvNet.Models;
using ConvNet.Random;
using ConvNet.Tensors;
using ConvNet.Threading;
using ConvNet.Training;

namespace ConvNet.Devices;

public sealed class CpuTrainingNetwork : ITrainingNetwork
{
    private readonly Network _network;
    private readonly Sgd _sgd;
    private readonly WorkerPool _pool;
    private readonly CrossEntropyLoss _loss;
    private readonly Dropout[] _dropouts;
    private readonly IGradientReducer? _reducer;
    private Action<Layer>? _layerDone; // made once: no allocation per step

    /// <param name="reducer">data-parallel runs: averages the gradients over the ranks before the update</param>
    /// <param name="labelSmoothing">the loss's label smoothing (0: one-hot targets)</param>
    public CpuTrainingNetwork(Network network, Sgd sgd, WorkerPool pool, int batch, IGradientReducer? reducer = null, float labelSmoothing = 0f)
    {
        (_network, _sgd, _pool, _reducer) = (network, sgd, pool, reducer);
        _loss = new CrossEntropyLoss(labelSmoothing);
        network.Plan(batch, pool, forTraining: true);
        _dropouts = network.Layers.OfType<Dropout>().ToArray();
    }

    public IForwardNetwork Inference => _network;
    public Tensor Logits => _network.Logits;
    public string DeviceName => $"cpu ({_pool.Workers} threads)";

    private float _lastLoss;

    /// <summary>The CPU's workers run the whole step here; EndStep only returns its loss.</summary>
    public void BeginStep(Tensor x, int[] labels, ulong dropoutSeed, float learningRate) => _lastLoss = RunStep(x, labels, dropoutSeed, learningRate);

    public float EndStep() => _lastLoss;

    public void Stage(Tensor nextX) { } // the CPU reads the batch where it is

    private float RunStep(Tensor x, int[] labels, ulong dropoutSeed, float learningRate)
    {
        for (int d = 0; d < _dropouts.Length; d++) _dropouts[d].Rng.Reseed(Rng.Mix(dropoutSeed, (ulong)d));
        _sgd.LearningRate = learningRate;
        var logits = _network.Forward(x, training: true);
        float loss = _loss.Forward(logits, labels);
        if (_reducer is null && !float.IsFinite(loss)) return loss; // the trainer stops; nothing is updated
        _network.ZeroGradients();
        if (_reducer is ILayerwiseReducer layerwise)
        {
            layerwise.BackwardStarting(_network.Parameters);
            _network.Backward(x, _loss.Backward(labels), _layerDone ??= layerwise.LayerDone);
        }
        else _network.Backward(x, _loss.Backward(labels));
        // Every rank joins the allreduce whatever its own loss; a non-finite one makes the global loss non-finite,
        // and all ranks skip the update together.
        if (_reducer is not null) loss = _reducer.Average(_network.Parameters, loss);
        if (!float.IsFinite(loss)) return loss;
        _sgd.Step(_pool);
        return loss;
    }

    public void CopyToHost() { }

    public void CopyWeightsToHost() { }

    public void Dispose() { }
}
