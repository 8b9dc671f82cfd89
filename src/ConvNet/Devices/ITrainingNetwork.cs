// The seam between the trainer and the device that runs a training step. The trainer keeps the model's host
// Network and Sgd (what checkpoints read and write); a device may hold its own copies (the GPU keeps parameters,
// momentum, activations and gradients resident) and brings them back with CopyToHost before a checkpoint.
using ConvNet.Tensors;

namespace ConvNet.Devices;

public interface ITrainingNetwork : IDisposable
{
    /// <summary>The same network for evaluation (validation and test passes) at the planned batch.</summary>
    IForwardNetwork Inference { get; }

    /// <summary>Starts forward, softmax cross-entropy, backward and one SGD update at <paramref name="learningRate"/>
    /// (skipped when the loss is not finite); dropout layer d draws its mask from Rng(Mix(dropoutSeed, d)) on every
    /// device, so masks do not depend on the device. A GPU returns at once with the work queued: the caller may fill
    /// its next batch meanwhile, but must not change <paramref name="x"/> or <paramref name="labels"/> before EndStep.</summary>
    void BeginStep(Tensor x, int[] labels, ulong dropoutSeed, float learningRate);

    /// <summary>Waits for the step BeginStep started.</summary>
    /// <returns>the mean loss of the batch</returns>
    float EndStep();

    /// <summary>Offers the next batch early (after BeginStep of the current one): a GPU starts copying it while the
    /// current step runs, and BeginStep with the same tensor uses that copy. <paramref name="nextX"/> must not
    /// change until then.</summary>
    void Stage(Tensor nextX);

    /// <summary>One whole step: BeginStep then EndStep.</summary>
    float Step(Tensor x, int[] labels, ulong dropoutSeed, float learningRate)
    {
        BeginStep(x, labels, dropoutSeed, learningRate);
        return EndStep();
    }

    /// <summary>The logits of the last step, on the host.</summary>
    Tensor Logits { get; }

    /// <summary>Writes the device's parameters and momentum into the host Network and Sgd (before a checkpoint).</summary>
    void CopyToHost();

    /// <summary>Writes the device's parameters alone into the host Network (the replica check compares weights:
    /// bringing momentum too would double what a GPU copies back each check).</summary>
    void CopyWeightsToHost();

    /// <summary>"cpu", "cuda (NVIDIA H200)", ...</summary>
    string DeviceName { get; }
}
