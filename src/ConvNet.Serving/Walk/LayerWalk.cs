// The page's view of one image going through the network: each layer that changes what the image looks like, maps as
// a PNG grid, vectors as their values. ReLU (fused into the convolution before it), dropout (off at inference) and
// flatten add nothing to look at and are left out.
using ConvNet.Serving.Batching;

namespace ConvNet.Serving.Walk;

/// <param name="Shape">without the batch dimension</param>
/// <param name="Png">maps only: the grid, base64 PNG</param>
/// <param name="Values">vectors only: every value</param>
/// <param name="Grid">maps only: [columns, rows] of the grid</param>
public sealed record WalkLayer(string Name, string Kind, int[] Shape, string? Png, float[]? Values, int[]? Grid);

public static class LayerWalk
{
    private static readonly HashSet<string> Hidden = ["ReLU", "Dropout", "Flatten"];

    public static IReadOnlyList<WalkLayer> From(IReadOnlyList<LayerActivation> layers) =>
        layers.Where(l => !Hidden.Contains(l.Kind)).Select(ToWalk).ToList();

    private static WalkLayer ToWalk(LayerActivation layer)
    {
        if (layer.Shape is [var c, var h, var w])
        {
            var (columns, rows) = MapTiles.Grid(c);
            return new WalkLayer(layer.Name, layer.Kind, layer.Shape, Convert.ToBase64String(MapTiles.Png(layer.Values, c, h, w)), null, [columns, rows]);
        }
        return new WalkLayer(layer.Name, layer.Kind, layer.Shape, null, layer.Values, null);
    }
}
