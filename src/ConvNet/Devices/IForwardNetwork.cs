// What evaluators and commands need from a network, whichever device runs it: the CPU's Network and the GPU's
// GpuNetwork both take a host batch and give host logits.
using ConvNet.Models;
using ConvNet.Tensors;

namespace ConvNet.Devices;

public interface IForwardNetwork
{
    ModelSpec Spec { get; }
    int Classes { get; }
    /// <summary>The batch the network's buffers were planned for.</summary>
    int PlannedBatch { get; }
    /// <param name="x">[PlannedBatch, C, H, W] on the host</param><returns>the logits [N, classes] on the host</returns>
    Tensor Forward(Tensor x, bool training);
}
