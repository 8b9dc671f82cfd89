// A per-layer table of a model: output shape, parameters and multiply-adds per sample (for `convnet info`).
using ConvNet.Layers;

namespace ConvNet.Models;

public sealed record LayerSummary(string Name, string Kind, int[] OutputShape, long Parameters, long MultiplyAdds);

public sealed record ModelSummary(string Model, int[] InputShape, int Classes, IReadOnlyList<LayerSummary> Layers)
{
    public long Parameters => Layers.Sum(l => l.Parameters);
    public long MultiplyAdds => Layers.Sum(l => l.MultiplyAdds);

    public static ModelSummary Of(Network network)
    {
        var rows = new List<LayerSummary>();
        int[] shape = [1, .. network.Spec.InputShape];
        foreach (Layer layer in network.Layers)
        {
            var output = layer.OutputShapeFor(shape);
            rows.Add(new LayerSummary(layer.Name, layer.Kind, output[1..], layer.Parameters.Sum(p => (long)p.Value.Length),
                layer.MultiplyAddsPerSample(shape)));
            shape = output;
        }
        return new ModelSummary(network.Name, network.Spec.InputShape, network.Classes, rows);
    }
}
