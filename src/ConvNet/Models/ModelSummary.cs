// A per-layer table of a model: output shape, parameters and multiply-adds per sample (for `convnet info`).
using ConvNet.Layers;

namespace ConvNet.Models;

/// <param name="Settings">what the spec sets beyond the output shape, as a paper's table would give it ("11x11, stride 4,
/// groups 2", "size 5, alpha 0.0001/size, beta 0.75, k 2", "p 0.5"); empty for layers with none</param>
public sealed record LayerSummary(string Name, string Kind, int[] OutputShape, long Parameters, long MultiplyAdds, string Settings = "");

public sealed record ModelSummary(string Model, int[] InputShape, int Classes, IReadOnlyList<LayerSummary> Layers)
{
    public long Parameters => Layers.Sum(l => l.Parameters);
    public long MultiplyAdds => Layers.Sum(l => l.MultiplyAdds);

    public static ModelSummary Of(Network network)
    {
        var rows = new List<LayerSummary>();
        int[] shape = [1, .. network.Spec.InputShape];
        var specs = network.Spec.Layers.ToDictionary(l => l.Name, StringComparer.Ordinal);
        foreach (Layer layer in network.Layers)
        {
            var output = layer.OutputShapeFor(shape);
            rows.Add(new LayerSummary(layer.Name, layer.Kind, output[1..], layer.Parameters.Sum(p => (long)p.Value.Length),
                layer.MultiplyAddsPerSample(shape), specs.TryGetValue(layer.Name, out var spec) ? Settings(spec) : ""));
            shape = output;
        }
        return new ModelSummary(network.Name, network.Spec.InputShape, network.Classes, rows);
    }

    private static string Settings(LayerSpec spec) => spec switch
    {
        ConvSpec c => Window(c.Kernel, c.Stride, c.Padding, c.CeilMode) + (c.Groups > 1 ? $", groups {c.Groups}" : ""),
        MaxPoolSpec m => Window(m.Kernel, m.Stride, m.Padding, m.CeilMode),
        // Alpha as the spec holds it: divided by the size when applied (Caffe, PyTorch and ONNX's form).
        LrnSpec n => FormattableString.Invariant($"size {n.Size}, alpha {n.Alpha}/size, beta {n.Beta}, k {n.K}"),
        DropoutSpec d => FormattableString.Invariant($"p {d.Probability}"),
        AdaptiveAvgPoolSpec a => $"to {a.OutHeight}x{a.OutWidth}",
        _ => "",
    };

    private static string Window(int kernel, int stride, int padding, bool ceilMode) =>
        $"{kernel}x{kernel}, stride {stride}" + (padding > 0 ? $", pad {padding}" : "") + (ceilMode ? ", ceil" : "");
}
