// The input preprocessing an imported model was trained with, recorded in its checkpoint so `convnet predict`
// feeds it images the way it expects. Values are on our scale: x = (pixel/255 - Mean) / Std per model channel.
namespace ConvNet.Interop;

public sealed record ImportPreprocessing(string Name, float[] Mean, float[] Std, string ChannelOrder, int? ResizeShorterSide)
{
    public static IReadOnlyList<string> Names { get; } = ["torchvision", "caffe", "none"];

    /// <param name="inputSide">the model input's larger side: over 256, the presets' resize grows with it (see
    /// <see cref="ResizeFor"/>), since a crop cannot be larger than the image it is cut from</param>
    public static ImportPreprocessing Get(string name, int channels, int inputSide = 224) => name switch
    {
        // torchvision's ImageNet models: RGB, shorter side 256, centre crop 224, ImageNet mean and std.
        "torchvision" when channels == 3 => new(name, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f], "RGB", ResizeFor(inputSide)),
        // Caffe's bvlc_alexnet (and the ONNX model zoo's copy): BGR, 0..255 pixels minus the per-channel mean.
        "caffe" when channels == 3 => new(name, [104f / 255, 117f / 255, 123f / 255], [1f / 255, 1f / 255, 1f / 255], "BGR", ResizeFor(inputSide)),
        "none" => new(name, new float[channels], Enumerable.Repeat(1f, channels).ToArray(), "RGB", null),
        "torchvision" or "caffe" => throw new ArgumentException($"preprocessing '{name}' is for 3-channel models; this one has {channels}"),
        _ => throw new ArgumentException($"unknown preprocessing '{name}' (known: {string.Join(", ", Names)})"),
    };

    /// <summary>The shorter side images are resized to before the centre crop: 256 for inputs up to 256 (the presets'
    /// own), and for a larger input the same margin as 224 has in 256 (a 300-pixel input: 343), where a fixed 256 was
    /// refused as smaller than the crop.</summary>
    public static int ResizeFor(int inputSide) => inputSide <= 256 ? 256 : (int)Math.Ceiling(inputSide * 256.0 / 224);
}
