// The values a model's record of how to feed it images may hold (channel order, shorter-side resize, crop padding):
// one rule per field, for everything that reads such a record. A checkpoint's sidecar is held to them when it is
// opened (Checkpoints.Problem), a file's metadata when it is imported (ModelMetadata.FromProperties), and training
// to the crop padding's, so no value one of them refuses gets in through another and fails later, naming no file.
// Each returns what the field must be when the value breaks the rule, else null; the caller names the file and field.
namespace ConvNet.Training;

public static class PreprocessingRules
{
    /// <summary>The largest shorter side a record may ask images to be rescaled to (the largest stored square a
    /// preprocessing record may have, too).</summary>
    public const int MaxResizeShorterSide = 65536;

    public static string? ChannelOrder(string? order) => order is "RGB" or "BGR" ? null : "RGB or BGR";

    /// <summary>The centre crop of the rescaled image must fit in it: the shorter side at least the input's larger side.</summary>
    public static string? ResizeShorterSide(int side, int height, int width) =>
        side >= Math.Max(height, width) && side <= MaxResizeShorterSide ? null
            : $"from {Math.Max(height, width)}, the {height}x{width} input's larger side, to {MaxResizeShorterSide.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>The shifts of the random crops (--crop-padding): a shift as large as the image leaves nothing of it.</summary>
    public static string? CropPadding(int padding, int height, int width) =>
        padding >= 0 && padding < Math.Min(height, width) ? null
            : $"from 0 to {Math.Min(height, width) - 1}, a shift smaller than the {height}x{width} input";
}
