// The one factory that turns a ModelSpec into layers, inferring each layer's input size from the one before.
using ConvNet.Layers;
using ConvNet.Tensors;

namespace ConvNet.Models;

public static class NetworkBuilder
{
    public static Network Build(ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Layers is null || spec.Layers.Any(l => l is null))
            throw new ArgumentException($"model {spec.Name}: {(spec.Layers is null ? "the spec has no layer list" : $"layer {spec.Layers.ToList().IndexOf(null!)} of the spec is null")}", nameof(spec));
        var layers = new List<Layer>();
        int[] shape = [1, .. spec.InputShape];
        foreach (var s in spec.Layers)
        {
            Layer layer = s switch
            {
                ConvSpec c => new Conv2d(c.Name, RequireChannels(shape, c.Name), c.OutChannels, c.Kernel, c.Stride, c.Padding, c.Groups,
                    c.CeilMode, c.WeightInit, c.BiasInit),
                ReluSpec r => new Relu(r.Name),
                LrnSpec l => new LocalResponseNorm2d(l.Name, l.Size, l.Alpha, l.Beta, l.K),
                MaxPoolSpec m => new MaxPool2d(m.Name, m.Kernel, m.Stride, m.Padding, m.CeilMode),
                AdaptiveAvgPoolSpec a => new AdaptiveAvgPool2d(a.Name, a.OutHeight, a.OutWidth),
                FlattenSpec f => new Flatten(f.Name),
                LinearSpec l => new Linear(l.Name, RequireFeatures(shape, l.Name), l.OutFeatures, l.WeightInit, l.BiasInit),
                DropoutSpec d => new Dropout(d.Name, d.Probability),
                _ => throw new ArgumentException($"unknown layer description {s.GetType().Name} ({s.Name})"),
            };
            shape = layer.OutputShapeFor(shape);
            layers.Add(layer);
        }
        if (shape.Length != 2 || shape[1] != spec.Classes)
            throw new ShapeMismatchException($"model {spec.Name}: output has shape {ShapeMath.Format(shape)}, expected [N, {spec.Classes}]");
        return new Network(spec, layers);
    }

    private static int RequireChannels(int[] shape, string name) =>
        shape.Length == 4 ? shape[1] : throw new ShapeMismatchException($"{name}: a convolution needs [N, C, H, W] input, got {ShapeMath.Format(shape)}");

    private static int RequireFeatures(int[] shape, string name) =>
        shape.Length == 2 ? shape[1] : throw new ShapeMismatchException($"{name}: a linear layer needs [N, F] input, got {ShapeMath.Format(shape)} (add a Flatten)");
}
