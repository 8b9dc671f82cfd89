// [N, C, H, W] -> [N, C*H*W]. NCHW is row-major, so this only copies; the order matches PyTorch's flatten.
using ConvNet.Tensors;

namespace ConvNet.Layers;

public sealed class Flatten(string name) : Layer(name)
{
    public override string Kind => "Flatten";

    public override int[] OutputShapeFor(int[] inputShape) =>
        [inputShape[0], ShapeMath.Product(inputShape.AsSpan(1), Name)];

    public override void Forward(Tensor x, bool training)
    {
        RequireInput(x);
        x.Span.CopyTo(Output.Span);
    }

    public override void Backward(Tensor x, Tensor dy)
    {
        RequireBackward(x, dy);
        if (InputGradient is { } dx) dy.Span.CopyTo(dx.Span);
    }
}
