// The GPU behind the training seam: the step runs on the device; CopyToHost brings parameters and momentum back
// into the host Network and Sgd that checkpoints read.
using ConvNet.Distributed;
using ConvNet.Models;
using ConvNet.Tensors;
using ConvNet.Training;

namespace ConvNet.Devices.Gpu;

public sealed class GpuTrainingNetwork : ITrainingNetwork
{
    private readonly GpuNetwork _network;
    private readonly Sgd _sgd;
    private readonly IGradientReducer? _reducer;

    /// <summary>Uploads the host parameters and <paramref name="sgd"/>'s velocities (a resumed run's momentum).</summary>
    /// <param name="reducer">data-parallel runs: gradients are averaged over the ranks (through the host) before the update</param>
    /// <param name="labelSmoothing">the loss's label smoothing (0: one-hot targets)</param>
    public GpuTrainingNetwork(GpuDevice device, Network host, Sgd sgd, int batch, IGradientReducer? reducer = null, float labelSmoothing = 0f)
    {
        (_sgd, _reducer) = (sgd, reducer);
        try { _network = new GpuNetwork(device, host, ownsDevice: true) { LabelSmoothing = labelSmoothing }; }
        catch { device.Dispose(); throw; }
        try
        {
            _network.Plan(batch, forTraining: true);
            _network.UploadVelocities(sgd);
        }
        catch { _network.Dispose(); throw; }
    }

    public IForwardNetwork Inference => _network;
    public Tensor Logits => _network.Logits;
    public string DeviceName => _network.Device.Name;

    /// <summary>The GEMM blocking each layer runs (see <see cref="GemmBlockingChoice.Describe"/>).</summary>
    public string GemmBlockings => GemmBlockingChoice.Describe(_network);

    public void BeginStep(Tensor x, int[] labels, ulong dropoutSeed, float learningRate)
    {
        _sgd.LearningRate = learningRate;
        _network.BeginTrainStep(x, labels, dropoutSeed, _sgd, update: _reducer is null);
    }

    public float EndStep()
    {
        float loss = _network.EndTrainStep();
        return _reducer is null ? loss : _network.UpdateAfterReduce(_sgd, _reducer, loss);
    }

    public void Stage(Tensor nextX) => _network.Stage(nextX);

    public void CopyToHost()
    {
        _network.DownloadParameters();
        _network.DownloadVelocities(_sgd);
    }

    public void CopyWeightsToHost() => _network.DownloadParameters();

    public void Dispose() => _network.Dispose();
}
