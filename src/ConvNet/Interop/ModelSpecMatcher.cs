// Finds the registered model (ModelRegistry) that an imported ModelSpec is, so an imported file can be used by name.
// Two specs match when their input shapes, classes and evaluation-time layers are equal: layer settings and the names
// of layers with parameters must agree; dropout, initialisation and names of parameter-free layers do not matter.
using ConvNet.Models;

namespace ConvNet.Interop;

public static class ModelSpecMatcher
{
    public static ModelSpec? FindRegistered(ModelSpec spec)
    {
        foreach (var entry in ModelRegistry.Models)
        {
            ModelSpec candidate;
            try
            {
                candidate = entry.Create(new ModelOptions(spec.Classes, InputChannels: spec.InputShape[0], InputSize: spec.InputShape[1]));
            }
            catch (ArgumentException)
            {
                continue;
            }
            if (Matches(spec, candidate)) return candidate;
        }
        return null;
    }

    public static bool Matches(ModelSpec a, ModelSpec b) =>
        a.Classes == b.Classes && a.InputShape.AsSpan().SequenceEqual(b.InputShape)
        && EvaluationLayers(a).SequenceEqual(EvaluationLayers(b));

    private static IEnumerable<LayerSpec> EvaluationLayers(ModelSpec spec) => spec.Layers.Where(l => l is not DropoutSpec).Select(Normalize);

    private static LayerSpec Normalize(LayerSpec layer) => layer switch
    {
        ConvSpec c => c with { WeightInit = null, BiasInit = null },
        LinearSpec l => l with { WeightInit = null, BiasInit = null },
        _ => layer with { Name = "" },
    };
}
