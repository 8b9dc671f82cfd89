// Scoring a model needs only the split scored: eval on a copy of a dataset that holds only its test files (t10k-*)
// was refused for the missing training files, though torchvision's FashionMNIST(train=False) reads the test files alone.
using ConvNet.Data;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Cli;

public sealed class TestFilesOnlyTests
{
    [Fact]
    public void EvalAndTheInspectionCommandsReadOnlyTheSplitTheyScore()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 64, test: 16);
        string run = temp.Combine("run");
        var trained = CliRunner.Run("train", "--data", data, "--epochs", "1", "--batch-size", "32", "--validation", "0", "--threads", "1", "--out", run);
        Assert.True(trained.ExitCode == 0, trained.Stderr);
        // Direct convolutions both times: auto picks by timing, and another pick moves the loss in its 8th digit.
        var before = CliRunner.Run("eval", "--checkpoint", run, "--data", data, "--threads", "1", "--json", "--conv-algorithm", "direct");
        Assert.True(before.ExitCode == 0, before.Stderr);

        string testOnly = temp.Combine("test-only");
        Directory.CreateDirectory(testOnly);
        foreach (string file in Directory.GetFiles(temp.Combine("data"), "t10k-*")) File.Copy(file, Path.Combine(testOnly, Path.GetFileName(file)));
        var after = CliRunner.Run("eval", "--checkpoint", run, "--data", "idx:" + testOnly, "--threads", "1", "--json", "--conv-algorithm", "direct");
        Assert.True(after.ExitCode == 0, after.Stderr);
        Assert.Equal(before.Stdout.Replace(temp.Combine("data"), testOnly), after.Stdout);

        // The training split named where only the test files are: refused, naming the missing file.
        var train = CliRunner.Run("show", "confusion", "--checkpoint", run, "--data", "idx:" + testOnly, "--split", "train", "--out", temp.Combine("c.png"), "--threads", "1");
        Assert.Equal(2, train.ExitCode);
        Assert.Contains("train-images-idx3-ubyte not found", train.Stderr);
    }

    [Fact]
    public void OneSplitOfAnIdxFolderIsNumberedByTheLabelsOfBoth()
    {
        // The review: reading only the test split numbered its classes by its own highest label, so a test split
        // without the last class had one class fewer than the run trained on these files, and eval refused it.
        using var temp = new TempDirectory();
        string dir = temp.Combine("data");
        Directory.CreateDirectory(dir);
        var train = new ImageDataset("train", 1, 2, 2, new byte[4 * 4], [0, 1, 2, 3], ClassNames.Numbered(4));
        var test = new ImageDataset("test", 1, 2, 2, new byte[2 * 4], [0, 1], ClassNames.Numbered(4));
        IdxWriter.WriteSplits(dir, new DatasetSplits(train, test), gzip: false);
        Assert.Equal(4, DatasetSpec.LoadSplit("idx:" + dir, "test").ClassNames.Count);
        foreach (string file in Directory.GetFiles(dir, "train-*")) File.Delete(file);
        Assert.Equal(2, DatasetSpec.LoadSplit("idx:" + dir, "test").ClassNames.Count); // the test files alone: all there is to go by
    }

    [Fact]
    public void FashionMnistWithAColonButNoFolderIsRefused()
    {
        // Before: "fashion-mnist:" read the package's files and was recorded as a dataset other than "fashion-mnist".
        var e = Assert.Throws<DataException>(() => DatasetSpec.LoadSplit("fashion-mnist:", "test"));
        Assert.Equal("'fashion-mnist:': give a folder after 'fashion-mnist:', or plain fashion-mnist for the files of the dataset-fashion-mnist package", e.Message);
    }
}
