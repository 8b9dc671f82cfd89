// The typeface labels are drawn with. SkiaSharp's Linux assets here carry no fontconfig, so the system's default
// typeface may draw nothing at all: a font file is loaded explicitly instead (CONVNET_FONT, else DejaVu Sans or
// Liberation Sans where Debian's fonts-dejavu-core / fonts-liberation put them). Without one (or with
// CONVNET_FONT=none), figures are drawn without text and the commands say so on stderr.
using SkiaSharp;

namespace ConvNet.Visualization;

public static class LabelFont
{
    public const string EnvironmentVariable = "CONVNET_FONT";

    public static readonly string[] KnownFiles =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
    ];

    private static readonly Lazy<string?> FoundFile = new(Find);
    private static readonly Lazy<SKTypeface?> Loaded = new(() => FoundFile.Value is { } f ? SKTypeface.FromFile(f) : null);

    /// <summary>The font file labels use, or null when none was found.</summary>
    public static string? File => Loaded.Value is null ? null : FoundFile.Value;

    /// <summary>The loaded typeface, or null when no usable font file was found.</summary>
    public static SKTypeface? Typeface => Loaded.Value;

    /// <summary>What to tell the user when there is no font: labels will be missing.</summary>
    public static string MissingMessage =>
        $"note: no font file ({EnvironmentVariable} is none, or unset and none of {string.Join(", ", KnownFiles.Take(2))} exists); " +
        "the figure is drawn without text labels. Install fonts-dejavu-core or set " + EnvironmentVariable + " to a .ttf file";

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } chosen)
            return chosen == "none" ? null : System.IO.File.Exists(chosen) ? chosen
                : throw new FileNotFoundException($"{EnvironmentVariable}={chosen}: font file not found");
        return KnownFiles.FirstOrDefault(System.IO.File.Exists);
    }
}
