// One answer for a file that is not there, from every reader a library user calls: FileNotFoundException naming the
// file (safetensors, .npy and ONNX readers wrapped it in an InvalidDataException, "cannot open: Could not find file"),
// and one for a folder given as a file: "X: is a folder, not a ... file" (Classify and SafeTensorsFile said "Access to
// the path is denied"). A checkpoint that is not there is a CheckpointException, as ImageClassifier.Open documents.
using ConvNet.Inference;
using ConvNet.Interop;
using ConvNet.Interop.Onnx;
using ConvNet.Tests.Serving;
using ConvNet.Tests.Support;
using ConvNet.Training;

namespace ConvNet.Tests.Interop;

public sealed class MissingFileTests
{
    public static TheoryData<string, string> Readers => new()
    {
        { "safetensors", "a .safetensors file" },
        { "npy", "a .npy file" },
        { "onnx", "an .onnx file" },
        { "model", "" },
        { "image", "an image file" },
    };

    private static void Read(string reader, string path, ImageClassifier classifier)
    {
        switch (reader)
        {
            case "safetensors": SafeTensorsFile.Read(path); break;
            case "npy": NpyFile.Read(path); break;
            case "onnx": OnnxImporter.Read(path); break;
            case "model": ModelFiles.Open(path + ".safetensors", "alexnet-micro"); break;
            case "image": classifier.Classify(path); break;
        }
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public void AMissingFileIsFileNotFoundNamingIt(string reader, string _)
    {
        using var temp = new TempDirectory();
        using var classifier = ImageClassifier.Open(ServeCheckpoints.Write(temp.Combine("run"), imageData: false), threads: 1);
        foreach (string missing in new[] { temp.File("missing"), temp.Combine("no-such-folder", "missing") })
        {
            var e = Assert.Throws<FileNotFoundException>(() => Read(reader, missing, classifier));
            string named = reader == "model" ? missing + ".safetensors" : missing;
            Assert.Equal($"{named}: no such file", e.Message);
            Assert.Equal(named, e.FileName);
        }
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public void AFolderGivenAsAFileIsNamedAsOne(string reader, string what)
    {
        if (reader == "model") return; // a folder is a checkpoint to ModelFiles
        using var temp = new TempDirectory();
        using var classifier = ImageClassifier.Open(ServeCheckpoints.Write(temp.Combine("run"), imageData: false), threads: 1);
        string folder = temp.Combine("folder");
        Directory.CreateDirectory(folder);
        var e = Assert.Throws<FileNotFoundException>(() => Read(reader, folder, classifier));
        Assert.Equal($"{folder}: is a folder, not {what}", e.Message);
    }

    [Fact]
    public void AMissingCheckpointIsACheckpointExceptionAndAnEmptyPathAnArgumentException()
    {
        using var temp = new TempDirectory();
        Assert.Contains(temp.File("nope"), Assert.Throws<CheckpointException>(() => ImageClassifier.Open(temp.File("nope"))).Message);
        var empty = Assert.Throws<ArgumentException>(() => ImageClassifier.Open(""));
        Assert.Equal("checkpoint", empty.ParamName);
        Assert.Contains("an empty path names no checkpoint", empty.Message);
    }
}
