// Average pooling to a fixed output size, with PyTorch's window bounds (torchvision's AlexNet pools to 6x6).
using ConvNet.Kernels.Cpu;
using ConvNet.Tensors;

namespace ConvNet.Layers;

public sealed class AdaptiveAvgPool2d(string name, int outHeight, int outWidth) : Layer(name)
{
    public int OutHeight { get; } = outHeight;
    public int OutWidth { get; } = outWidth;
    public override string Kind => "AdaptiveAvgPool2d";

    public override int[] OutputShapeFor(int[] inputShape)
    {
        RequireRank(inputShape, 4, "[N, C, H, W]");
        return [inputShape[0], inputShape[1], OutHeight, OutWidth];
    }

    public override void Forward(Tensor x, bool training)
    {
        RequireInput(x);
        int planes = x.Shape[0] * x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        var xs = x.Span;
        var ys = Output.Span;
        // Already at the output size (torchvision's AlexNet on 224x224 images): every window is one pixel.
        if (h == OutHeight && w == OutWidth)
        {
            xs.CopyTo(ys);
            return;
        }
        for (int p = 0; p < planes; p++)
            AdaptiveAvgPool.Forward(xs.Slice(p * h * w, h * w), ys.Slice(p * OutHeight * OutWidth, OutHeight * OutWidth), h, w, OutHeight, OutWidth);
    }

    public override void Backward(Tensor x, Tensor dy)
    {
        RequireBackward(x, dy);
        if (InputGradient is not { } dx) return;
        int planes = x.Shape[0] * x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        var dys = dy.Span;
        var dxs = dx.Span;
        if (h == OutHeight && w == OutWidth)
        {
            dys.CopyTo(dxs);
            return;
        }
        for (int p = 0; p < planes; p++)
            AdaptiveAvgPool.Backward(dys.Slice(p * OutHeight * OutWidth, OutHeight * OutWidth), dxs.Slice(p * h * w, h * w), h, w, OutHeight, OutWidth);
    }
}
