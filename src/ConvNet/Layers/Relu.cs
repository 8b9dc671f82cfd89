// Rectified linear unit: y = max(x, 0).
using ConvNet.Kernels;
using ConvNet.Tensors;

namespace ConvNet.Layers;

public sealed class Relu(string name) : Layer(name)
{
    public override string Kind => "ReLU";
    public override int[] OutputShapeFor(int[] inputShape) => (int[])inputShape.Clone();

    public override void Forward(Tensor x, bool training)
    {
        RequireInput(x);
        Elementwise.Relu(x.Span, Output.Span);
    }

    public override void Backward(Tensor x, Tensor dy)
    {
        if (InputGradient is { } dx) Elementwise.ReluBackward(Output.Span, dy.Span, dx.Span);
    }
}
