// What a consumer of exported weights needs besides the tensors: the model name, input shape, class names and input
// preprocessing, as string key/value pairs. ONNX files carry them in metadata_props, a checkpoint's .safetensors in
// its __metadata__, so an export/import round trip (or an ONNX Runtime user) feeds images exactly as the run did.
// The keys are documented in docs/interop.md; every value is plain text or JSON.
using System.Globalization;
using System.Text.Json;
using ConvNet.Training;

namespace ConvNet.Interop;

/// <param name="ResizeShorterSide">null: images are resized to the input size; else shorter side rescaled, centre crop</param>
/// <param name="ImageSize">image-trained runs: the size of the stored squares the mean image belongs to</param>
/// <param name="MeanImageFile">image-trained runs: the run's preprocessing.safetensors (mean image, colour PCA)</param>
/// <param name="CropPadding">runs trained here on images of the model's size: the shifts of their random crops (0: none)</param>
/// <param name="Mirror">the same runs: whether they trained on mirror images too</param>
public sealed record ModelMetadata(string Model, int[] InputShape, string[] ClassNames, float[] NormalizationMean,
    float[] NormalizationStd, string ChannelOrder, int? ResizeShorterSide, int? ImageSize = null, byte[]? MeanImageFile = null,
    int? CropPadding = null, bool? Mirror = null)
{
    public const string ModelKey = "convnet.model";
    /// <summary>What a safetensors file written by training holds when it is not weights: "sgd-momentum" for a
    /// checkpoint's velocities, which have the weights' names and shapes.</summary>
    public const string ContentKey = "convnet.content";
    public const string MomentumContent = "sgd-momentum";
    public const string InputShapeKey = "convnet.inputShape";
    public const string ClassNamesKey = "convnet.classNames";
    public const string MeanKey = "convnet.normalizationMean";
    public const string StdKey = "convnet.normalizationStd";
    public const string ChannelOrderKey = "convnet.channelOrder";
    public const string ResizeKey = "convnet.resizeShorterSide";
    public const string ImageSizeKey = "convnet.imageSize";
    public const string MeanImageKey = "convnet.meanImage";
    public const string CropPaddingKey = "convnet.cropPadding";
    public const string MirrorKey = "convnet.mirror";

    /// <summary>The metadata of a checkpoint (trained or imported), with its mean image file for image-trained runs.</summary>
    public static ModelMetadata FromCheckpoint(LoadedCheckpoint checkpoint)
    {
        var info = checkpoint.Info;
        byte[]? meanImage = null;
        if (info.Preprocessing is not null) meanImage = File.ReadAllBytes(Checkpoints.VerifiedPreprocessingPath(checkpoint));
        return FromInfo(info, meanImage);
    }

    public static ModelMetadata FromInfo(CheckpointInfo info, byte[]? meanImageFile)
    {
        // The views --ten-crop averages for a model-sized run (image-data runs have the paper's crops instead).
        bool modelSized = info.Preprocessing is null && info.ResizeShorterSide is null;
        return new(info.Model, info.InputShape, info.ClassNames, info.NormalizationMean, info.NormalizationStd, info.ChannelOrder,
            info.ResizeShorterSide, info.Preprocessing?.Size, info.Preprocessing is null ? null : meanImageFile,
            modelSized ? info.Config?.CropPadding ?? info.TrainedCropPadding : null, modelSized ? info.Config?.HorizontalFlip ?? info.TrainedMirror : null);
    }

    public Dictionary<string, string> ToProperties()
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [ModelKey] = Model,
            [InputShapeKey] = JsonSerializer.Serialize(InputShape),
            [ClassNamesKey] = JsonSerializer.Serialize(ClassNames),
            [MeanKey] = JsonSerializer.Serialize(NormalizationMean),
            [StdKey] = JsonSerializer.Serialize(NormalizationStd),
            [ChannelOrderKey] = ChannelOrder,
        };
        if (ResizeShorterSide is { } side) properties[ResizeKey] = side.ToString(CultureInfo.InvariantCulture);
        if (CropPadding is { } padding) properties[CropPaddingKey] = padding.ToString(CultureInfo.InvariantCulture);
        if (Mirror is { } mirror) properties[MirrorKey] = mirror ? "true" : "false";
        if (ImageSize is { } size && MeanImageFile is not null)
        {
            properties[ImageSizeKey] = size.ToString(CultureInfo.InvariantCulture);
            properties[MeanImageKey] = Convert.ToBase64String(MeanImageFile);
        }
        return properties;
    }

    /// <summary>Reads the metadata back; null when the file carries none (made elsewhere) or only a model name. A
    /// malformed value, or some keys without the others, is an error naming <paramref name="source"/> and the key.</summary>
    public static ModelMetadata? FromProperties(IReadOnlyDictionary<string, string> properties, string source)
    {
        // A model name alone (an export made without metadata) names the model and nothing more: the readers take it
        // themselves. Beyond it, all or nothing: a file with some keys (hand-made, or cut) had them dropped without a word.
        var ours = properties.Keys.Where(k => k.StartsWith("convnet.", StringComparison.Ordinal) && k is not (ContentKey or ModelKey))
            .Order(StringComparer.Ordinal).ToList();
        if (ours.Count == 0) return null;
        if (!properties.TryGetValue(ModelKey, out var model))
            throw new InvalidDataException($"{source}: metadata has {string.Join(", ", ours)} but no {ModelKey}; ConvNet's metadata names the model, its input and its classes together");
        T Json<T>(string key) where T : class
        {
            if (!properties.TryGetValue(key, out var text)) throw new InvalidDataException($"{source}: metadata has {ModelKey} but no {key}");
            try
            {
                return JsonSerializer.Deserialize<T>(text) ?? throw new InvalidDataException($"{source}: metadata {key} is null");
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{source}: metadata {key} is not valid ({e.Message})");
            }
        }
        int? Int(string key) => !properties.TryGetValue(key, out var text) ? null
            : int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v > 0 ? v
            : throw new InvalidDataException($"{source}: metadata {key} must be a positive integer, got '{text}'");
        var shape = Json<int[]>(InputShapeKey);
        var mean = Json<float[]>(MeanKey);
        var std = Json<float[]>(StdKey);
        if (shape.Length != 3 || mean.Length != shape[0] || std.Length != shape[0])
            throw new InvalidDataException($"{source}: metadata {InputShapeKey}, {MeanKey} and {StdKey} disagree on the number of channels");
        if (shape.Any(d => d < 1)) throw new InvalidDataException($"{source}: metadata {InputShapeKey} must be three positive sizes, got {JsonSerializer.Serialize(shape)}");
        int height = shape[1], width = shape[2];
        // The rules a checkpoint's sidecar is held to when it is opened (Checkpoints.Problem), here with the key named.
        var names = Json<string[]>(ClassNamesKey); // a null inside is the rule's to refuse
        if (Data.ClassNames.Problem(names, k => $"at index {k}") is { } namesProblem)
            throw new InvalidDataException($"{source}: metadata {ClassNamesKey}: {namesProblem}");
        string order = properties.GetValueOrDefault(ChannelOrderKey, "RGB");
        if (PreprocessingRules.ChannelOrder(order) is { } orders) throw new InvalidDataException($"{source}: metadata {ChannelOrderKey} must be {orders}, got '{order}'");
        int? resize = Int(ResizeKey);
        if (resize is { } side && PreprocessingRules.ResizeShorterSide(side, height, width) is { } sides)
            throw new InvalidDataException($"{source}: metadata {ResizeKey} must be {sides}, got '{properties[ResizeKey]}'");
        byte[]? meanImage = null;
        int? imageSize = null;
        if (properties.TryGetValue(MeanImageKey, out var encoded))
        {
            try { meanImage = Convert.FromBase64String(encoded); }
            catch (FormatException) { throw new InvalidDataException($"{source}: metadata {MeanImageKey} is not base64"); }
            imageSize = Int(ImageSizeKey) ?? throw new InvalidDataException($"{source}: metadata has {MeanImageKey} but no {ImageSizeKey}");
            RequireMeanImage(meanImage, imageSize.Value, shape[0], height, width, source);
        }
        int? padding = null;
        if (properties.TryGetValue(CropPaddingKey, out var paddingText))
        {
            if (!int.TryParse(paddingText, NumberStyles.Integer, CultureInfo.InvariantCulture, out int p)) p = -1; // out of range too
            if (PreprocessingRules.CropPadding(p, height, width) is { } shifts)
                throw new InvalidDataException($"{source}: metadata {CropPaddingKey} must be {shifts}, got '{paddingText}'");
            padding = p;
        }
        bool? mirror = !properties.TryGetValue(MirrorKey, out var mirrorText) ? null
            : mirrorText switch { "true" => true, "false" => false, _ => throw new InvalidDataException($"{source}: metadata {MirrorKey} must be true or false, got '{mirrorText}'") };
        return new ModelMetadata(model, shape, names, mean, std, order, resize, imageSize, meanImage, padding, mirror);
    }

    // The embedded file is read here, where the file and key can be named, not after import has written it into the
    // checkpoint folder (its messages named that temporary copy).
    private static void RequireMeanImage(byte[] file, int imageSize, int channels, int height, int width, string source)
    {
        string where = $"{source}: metadata {MeanImageKey}";
        if (channels != 3) throw new InvalidDataException($"{where}: a mean image is subtracted from RGB images, but the model's input has {channels} channels");
        Data.Images.PaperPreprocessing embedded;
        using (var stream = new MemoryStream(file, writable: false)) embedded = Data.Images.PaperPreprocessing.Read(stream, where);
        if (embedded.Size != imageSize || embedded.Size < Math.Max(height, width))
            throw new InvalidDataException($"{where} holds a {embedded.Size}x{embedded.Size} mean image, expected {imageSize}x{imageSize} ({ImageSizeKey}) " +
                $"for {height}x{width} crops");
    }
}
