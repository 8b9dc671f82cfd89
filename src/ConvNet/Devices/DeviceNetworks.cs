// Builds the network a device runs from the model's host Network: the trainer, evaluators and commands ask here
// and never test which device they got.
using ConvNet.Devices.Gpu;
using ConvNet.Distributed;
using ConvNet.Models;
using ConvNet.Threading;
using ConvNet.Training;

namespace ConvNet.Devices;

public static class DeviceNetworks
{
    /// <param name="reducer">data-parallel runs: averages gradients over the ranks between backward and the update</param>
    /// <param name="labelSmoothing">the loss's label smoothing (0: one-hot targets)</param>
    public static ITrainingNetwork ForTraining(DeviceSpec device, Network network, Sgd sgd, WorkerPool pool, int batch, IGradientReducer? reducer = null,
        float labelSmoothing = 0f) =>
        device.IsGpu
            ? new GpuTrainingNetwork(GpuDevice.Open(device), network, sgd, batch, reducer, labelSmoothing)
            : new CpuTrainingNetwork(network, sgd, pool, batch, reducer, labelSmoothing);

    /// <summary>The network planned for inference at <paramref name="batch"/>; dispose the result when done (it may
    /// hold a GPU).</summary>
    public static PlannedNetwork ForInference(DeviceSpec device, Network network, WorkerPool pool, int batch)
    {
        if (!device.IsGpu)
        {
            network.Plan(batch, pool);
            return new PlannedNetwork(network, null);
        }
        var gpuDevice = GpuDevice.Open(device);
        GpuNetwork gpu;
        try { gpu = new GpuNetwork(gpuDevice, network, ownsDevice: true); }
        catch { gpuDevice.Dispose(); throw; }
        try { gpu.Plan(batch); }
        catch { gpu.Dispose(); throw; }
        return new PlannedNetwork(gpu, gpu);
    }

    /// <summary>Throws DeviceUnavailableException unless the device is there (cheap: no kernels are loaded), so a
    /// command can refuse before it writes anything.</summary>
    public static void RequireAvailable(DeviceSpec device) => GpuDevice.RequireAvailable(device);
}

/// <summary>A network ready to run, and what must be released after it (a GPU network's device memory).</summary>
public sealed record PlannedNetwork(IForwardNetwork Network, IDisposable? Resources) : IDisposable
{
    public void Dispose() => Resources?.Dispose();
}
