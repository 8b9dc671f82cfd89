// Which GEMM blocking each convolution and fully connected layer runs: 4x4 values of C per thread (64x64 tiles) or
// 8x8 (128x128), both timed once on the layer's real sizes when the network is planned, as cuDNN's find does. On an
// H200 8x8 won most of the paper net's large layers (9.5 % on its whole training step) and lost on conv4 (192
// filters per group: half of its second 128-row tile empty) and at batch 1 (too few tiles to fill the GPU); see
// docs/gpu.md. Both kernels add the same products for each value of C in the same order (k ascending, the same
// K-slices), so the choice changes speed, not results (unless the PTX compiler fuses multiply-adds differently in the
// two).
using ConvNet.Devices.Gpu.Layers;

namespace ConvNet.Devices.Gpu;

public static class GemmBlockingChoice
{
    /// <summary>8x8 is kept only when at least this much faster: noise must not flip a layer from the default.</summary>
    private const double Margin = 0.97;

    /// <param name="forTraining">time forward and backward (a training step), not forward alone</param>
    public static void Choose(GpuNetwork network, bool forTraining)
    {
        var stream = network.Device.Accelerator.DefaultStream;
        for (int i = 0; i < network.Layers.Count; i++)
        {
            var layer = network.Layers[i];
            if (layer is not IGemmLayer gemm || (!forTraining && !gemm.ForwardUsesGemm)) continue;
            var input = i == 0 ? network.Input : network.Layers[i - 1].Output;
            double Milliseconds(int blocking)
            {
                gemm.GemmBlocking = blocking;
                double best = double.MaxValue;
                for (int pass = 0; pass < 3; pass++) // the first loads the kernel and warms caches; the best of the others counts
                {
                    using var start = stream.AddProfilingMarker();
                    layer.Forward(input, training: false);
                    // Backward overwrites the gradients and dX, so a plan-time pass leaves nothing behind; any values
                    // of the output's shape serve as dY.
                    if (forTraining) layer.Backward(input, layer.Output);
                    using var end = stream.AddProfilingMarker();
                    end.Synchronize();
                    if (pass > 0) best = Math.Min(best, end.MeasureFrom(start).TotalMilliseconds);
                }
                return best;
            }
            double four = Milliseconds(4), eight = Milliseconds(8);
            gemm.GemmBlocking = eight < Margin * four ? 8 : 4;
        }
    }

    /// <summary>"conv1=8,conv2=8,conv3=4,..." for the layers that chose (or were given) a blocking of their own.</summary>
    public static string Describe(GpuNetwork network) =>
        string.Join(",", network.Layers.OfType<IGemmLayer>().Where(l => l.GemmBlocking != 0)
            .Select(l => $"{((GpuLayer)l).Name}={l.GemmBlocking}"));
}
