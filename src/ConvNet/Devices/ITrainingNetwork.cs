// The seam between the trainer and the device that runs a training step. The trainer keeps the model's host
// Network and Sgd (what checkpoints read and write); a device may hold its own copies (the GPU keeps parameters,
// momentum, activations and gradients resident) and brings them back with CopyToHost before a checkpoint.
using ConvNet.Tensors;

namespace ConvNet.Devices;

public interface ITrainingNetwork : IDisposable
{
    /// <summary>The same network for evaluation (validation and test passes) at the planned batch.</summary>
    IForwardNetwork Inference { get; }

    /// <summary>Forward, softmax cross-entropy, backward and one SGD update at <paramref name="learningRate"/>; dropout
    /// layer d draws its mask from Rng(Mix(dropoutSeed, d)) on every device, so masks do not depend on the device.</summary>
    /// <returns>the mean loss of the batch</returns>
    float Step(Tensor x, int[] labels, ulong dropoutSeed, float learningRate);

    /// <summary>The logits of the last step, on the host.</summary>
    Tensor Logits { get; }

    /// <summary>Writes the device's parameters and momentum into the host Network and Sgd (before a checkpoint).</summary>
    void CopyToHost();

    /// <summary>"cpu", "cuda (NVIDIA H200)", ...</summary>
    string DeviceName { get; }
}
