// What a convolution algorithm offers a layer: the same forward and backward contract whichever way it computes.
namespace ConvNet.Kernels.Cpu;

public interface IConvolutionKernel
{
    ConvGeometry Geometry { get; }

    /// <summary>A short name for tables: "direct", "winograd F(4x4,3x3)".</summary>
    string Algorithm { get; }

    /// <summary>Multiplications one sample's forward pass really does (the direct method's count for the direct one).</summary>
    long MultipliesPerSample { get; }

    /// <param name="x">[N, C, H, W]</param><param name="weight">[O, C/groups, KH, KW]</param>
    /// <param name="bias">[O]</param><param name="y">[N, O, OH, OW], overwritten</param>
    /// <param name="relu">apply max(0, .) to the output (a fused ReLU)</param>
    /// <param name="weightVersion">the weights' Parameter.Version: what the kernel derives from the weights (packed or
    /// transformed filters) is reused while array, offset and version are unchanged; -1: unknown, derive every call</param>
    void Forward(float[] x, float[] weight, float[] bias, float[] y, int batch, bool relu,
        int xOffset = 0, int yOffset = 0, int weightOffset = 0, int biasOffset = 0, long weightVersion = -1);

    /// <summary>Adds dL/dW and dL/db into <paramref name="dWeight"/>/<paramref name="dBias"/>; overwrites dX unless it is null.</summary>
    void Backward(float[] x, float[] weight, float[] dy, float[] dWeight, float[] dBias, float[]? dx, int batch,
        int xOffset = 0, int weightOffset = 0, int dyOffset = 0, int dWeightOffset = 0, int dBiasOffset = 0, int dxOffset = 0);
}
