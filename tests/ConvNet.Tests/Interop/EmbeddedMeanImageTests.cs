// An export of an image-trained run carries its mean image (a safetensors file, base64, in convnet.meanImage). It is
// read where the metadata is, so its errors name the source file and the key: they named the temporary copy import
// had written into the --out folder (then deleted). A NaN in it is refused (it made every output NaN, blamed on the
// weights), and so is a missing inputScale where no version of this project ever left it out.
using System.Text.Json;
using ConvNet.Data.Images;
using ConvNet.Interop;
using ConvNet.Models;
using ConvNet.Random;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Interop;

public sealed class EmbeddedMeanImageTests
{
    private const int Size = 36;

    /// <summary>A preprocessing file as a run writes one (3 x size x size mean image, colour PCA, inputScale), edited.</summary>
    private static byte[] MeanImageFile(int size = Size, Func<float[], float[]>? mean = null, Dictionary<string, string>? metadata = null)
    {
        var image = Enumerable.Range(0, 3 * size * size).Select(i => 100f + i % 50).ToArray();
        using var stream = new MemoryStream();
        SafeTensorsFile.Write(stream,
        [
            new NamedTensor("mean_image", [3, size, size], mean?.Invoke(image) ?? image),
            new NamedTensor("pca_eigenvalues", [3], [0.2f, 0.02f, 0.005f]),
            new NamedTensor("pca_eigenvectors", [3, 3], [0.58f, 0.58f, 0.58f, -0.7f, 0f, 0.7f, 0.4f, -0.8f, 0.4f]),
        ], metadata ?? new Dictionary<string, string> { ["kind"] = PaperPreprocessing.Kind, ["inputScale"] = "0.0135" });
        return stream.ToArray();
    }

    private static Dictionary<string, string> Metadata(byte[] meanImageFile, int imageSize = Size) =>
        new ModelMetadata("alexnet-small", [3, 32, 32], ["cat", "dog"], [0.5f, 0.5f, 0.5f], [0.2f, 0.2f, 0.2f], "RGB", null,
            imageSize, meanImageFile).ToProperties();

    private static string Refusal(Dictionary<string, string> properties) =>
        Assert.ThrowsAny<Exception>(() => ModelMetadata.FromProperties(properties, "run.onnx")).Message;

    [Fact]
    public void AMeanImageThatIsNotASafeTensorsFileIsNamedByTheSourceAndKey()
    {
        var properties = Metadata([]);
        properties[ModelMetadata.MeanImageKey] = "AAAA";
        Assert.Equal("run.onnx: metadata convnet.meanImage: file is 3 bytes, too short for the 8-byte header length", Refusal(properties));
    }

    [Fact]
    public void AMeanImageFileWithoutItsTensorIsNamedByTheSourceAndKey()
    {
        using var stream = new MemoryStream();
        SafeTensorsFile.Write(stream, [new NamedTensor("other", [1], [1f])]);
        Assert.Equal("run.onnx: metadata convnet.meanImage: has no tensor 'mean_image'", Refusal(Metadata(stream.ToArray())));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    public void AnInputScaleThatIsNotAPositiveNumberIsNamedByTheSourceAndKey(string scale)
    {
        var file = MeanImageFile(metadata: new() { ["inputScale"] = scale });
        Assert.Equal($"run.onnx: metadata convnet.meanImage: inputScale '{scale}' is not a positive number", Refusal(Metadata(file)));
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void AMeanImageThatIsNotFiniteIsRefused(float value)
    {
        var file = MeanImageFile(mean: m => { m[5] = value; return m; });
        Assert.StartsWith($"run.onnx: metadata convnet.meanImage: mean_image holds {value.ToString(System.Globalization.CultureInfo.InvariantCulture)} at element 5; a mean image and its colour PCA must be finite",
            Refusal(Metadata(file)));
    }

    [Fact]
    public void AMissingInputScaleIsRefusedExceptOnThePaperSizeEveryOlderFileHad()
    {
        // Files from before inputScale existed hold 256-pixel squares on the 0..255 scale: they still load, with scale 1.
        var old = ModelMetadata.FromProperties(Metadata(MeanImageFile(256, metadata: new() { ["kind"] = PaperPreprocessing.Kind }), 256), "old.onnx")!;
        using (var stream = new MemoryStream(old.MeanImageFile!)) Assert.Equal(1f, PaperPreprocessing.Read(stream, "old").InputScale);
        // Any other size was unit-scaled from the start: without its scale the inputs would be ~70x too large.
        Assert.StartsWith("run.onnx: metadata convnet.meanImage: a 36x36 mean image without its inputScale",
            Refusal(Metadata(MeanImageFile(metadata: new() { ["kind"] = PaperPreprocessing.Kind }))));
    }

    [Fact]
    public void AMeanImageOfAnotherSizeThanRecordedIsRefused()
    {
        Assert.Equal("run.onnx: metadata convnet.meanImage holds a 36x36 mean image, expected 40x40 (convnet.imageSize) for 32x32 crops",
            Refusal(Metadata(MeanImageFile(), imageSize: 40)));
    }

    [Fact]
    public void ImportNamesTheSourceFileAndKeyAndLeavesNoFolder()
    {
        using var temp = new TempDirectory();
        var network = ModelRegistry.Create("alexnet-small", new ModelOptions(Classes: 2, InputChannels: 3));
        network.Initialize(new Rng(2));
        var properties = Metadata(MeanImageFile(mean: m => { m[0] = float.NaN; return m; }));
        string weights = temp.File("run.safetensors");
        SafeTensorsFile.Write(weights, WeightLoader.Collect(network), properties);

        var import = CliRunner.Run("import", weights, "--out", temp.Combine("imported"));

        Assert.Equal(2, import.ExitCode);
        Assert.Equal($"convnet: error: {weights}: metadata convnet.meanImage: mean_image holds NaN at element 0; a mean image and its colour PCA must be finite",
            import.Stderr.Trim());
        Assert.False(Directory.Exists(temp.Combine("imported")));

        // The same file with a good mean image imports, and keeps it beside the checkpoint.
        SafeTensorsFile.Write(weights, WeightLoader.Collect(network), Metadata(MeanImageFile()));
        var good = CliRunner.Run("import", weights, "--out", temp.Combine("imported"));
        Assert.True(good.ExitCode == 0, good.Stderr);
        var sidecar = JsonDocument.Parse(File.ReadAllText(temp.Combine("imported", "best.json"))).RootElement;
        Assert.Equal(Size, sidecar.GetProperty("preprocessing").GetProperty("size").GetInt32());
        Assert.Equal(MeanImageFile(), File.ReadAllBytes(temp.Combine("imported", "preprocessing.safetensors")));

        // --mean/--std were announced as applied to such a file and changed nothing (the mean image is subtracted; pass 43).
        var normalized = CliRunner.Run("import", weights, "--out", temp.Combine("normalized"), "--mean", "0.9", "--std", "0.01");
        Assert.Equal(2, normalized.ExitCode);
        Assert.Contains("--mean: " + weights + " carries the mean image", normalized.Stderr);
        Assert.False(Directory.Exists(temp.Combine("normalized")));
    }
}
