// What training data is refused before a step is taken, and what is said about it: a validation hold-out drawn
// before the scan that found only unreadable files (the run trained with no validation and said "--validation 0"),
// one that found some (fewer images than asked), an idx label far past the others (hundreds of empty classes), and
// a list whose labels skip a number.
using ConvNet.Data;
using ConvNet.Tests.Support;
using ConvNet.Training;

namespace ConvNet.Tests.Training;

public sealed class TrainingDataChecksTests
{
    // Two classes of 3 PNGs (p*.png) then 5 text files (t*.txt); files sort by name within a class, so the store's
    // indices 3-7 and 11-15 are the unreadable ones.
    private static string FolderWithTextFiles(TempDirectory temp)
    {
        foreach (string name in new[] { "a", "b" })
        {
            string folder = Directory.CreateDirectory(temp.Combine("data", name)).FullName;
            for (int i = 0; i < 3; i++) TinyImages.WriteBar(Path.Combine(folder, $"p{i}.png"), 4 + 6 * i);
            for (int i = 0; i < 5; i++) File.WriteAllText(Path.Combine(folder, $"t{i}.txt"), "not an image");
        }
        return "folder:" + temp.Combine("data");
    }

    private static bool Unreadable(int index) => index % 8 >= 3;

    // The first seed whose hold-out of 2 has the given number of unreadable files.
    private static ulong SeedHoldingOut(int unreadable) =>
        Enumerable.Range(1, 1000).Select(s => (ulong)s)
            .First(seed => ValidationSplit.Indices(16, 2, seed, "data").Validation.Count(Unreadable) == unreadable);

    private static TrainConfig Config(string data, ulong seed) => new()
    {
        Model = "alexnet-micro", Data = data, ValidationCount = 2, Seed = seed, Threads = 1, Schedule = "cosine", BatchSize = 2,
    };

    [Fact]
    public void AHoldOutOfOnlyUnreadableFilesIsRefused()
    {
        using var temp = new TempDirectory();
        var config = Config(FolderWithTextFiles(temp), SeedHoldingOut(2));
        var e = Assert.Throws<DataException>(() => TrainingData.Open(config, runDirectory: temp.Combine("run")));
        Assert.Contains("all 2 images held out for validation", e.Message);
    }

    [Fact]
    public void AHoldOutWithSomeUnreadableFilesSaysHowManyItValidatesOn()
    {
        using var temp = new TempDirectory();
        var config = Config(FolderWithTextFiles(temp), SeedHoldingOut(1));
        var said = new List<string>();
        using var splits = TrainingData.Open(config, runDirectory: temp.Combine("run"), report: said.Add);
        Assert.Equal(1, splits.Validation!.Count);
        Assert.Contains(said, m => m.Contains("1 of the 2 images held out for validation are unreadable: validating on 1"));
    }

    // Tiny idx data (64 training and 8 test images of labels 0-3) with one image's label set to another value, then
    // what training it is refused with.
    private static string RefusalWithLabel(bool inTest, int image, int label)
    {
        using var temp = new TempDirectory();
        var (train, test) = (TinyDataset.Make(64, 1, "train"), TinyDataset.Make(8, 2, "test"));
        var changed = inTest ? test : train;
        var labels = Enumerable.Range(0, changed.Count).Select(changed.Label).ToArray();
        labels[image] = label;
        changed = new ImageDataset(changed.Name, 1, 28, 28, changed.Pixels.ToArray(), labels, ConvNet.Data.ClassNames.Numbered(label + 1));
        IdxWriter.WriteSplits(temp.Combine("data"), new DatasetSplits(inTest ? train : changed, inTest ? changed : test), gzip: false);
        var config = new TrainConfig { Model = "alexnet-micro", Data = "idx:" + temp.Combine("data"), ValidationCount = 8, Threads = 1 };
        return Assert.Throws<DataException>(() => TrainingData.Open(config)).Message;
    }

    [Fact]
    public void AnIdxLabelFarPastTheOthersIsRefusedNotTrainedAsHundredsOfEmptyClasses()
    {
        string refusal = RefusalWithLabel(inTest: false, image: 5, label: 200);
        Assert.Contains("196 of its 201 classes have no training images", refusal);
        Assert.Contains("its largest label, 200, first at training image 5", refusal);
    }

    [Fact]
    public void ALargestLabelOnlyInTheTestSplitIsNamedThere()
    {
        string refusal = RefusalWithLabel(inTest: true, image: 2, label: 4);
        Assert.Contains("1 of its 5 classes has no training images (4)", refusal);
        Assert.Contains("its largest label, 4, only in the test split, first at test image 2", refusal);
    }

    [Fact]
    public void DataOfOneClassIsRefusedNotTrainedToAPerfectScore()
    {
        using var temp = new TempDirectory();
        ImageDataset OneClass(int count, string name) => new(name, 1, 28, 28, new byte[count * 784], new int[count], ConvNet.Data.ClassNames.Numbered(1));
        IdxWriter.WriteSplits(temp.Combine("data"), new DatasetSplits(OneClass(64, "train"), OneClass(8, "test")), gzip: false);
        var config = new TrainConfig { Model = "alexnet-micro", Data = "idx:" + temp.Combine("data"), ValidationCount = 8, Threads = 1 };
        Assert.Equal($"'idx:{temp.Combine("data")}': one class (0): every training label is 0; a classifier needs at least two",
            Assert.Throws<DataException>(() => TrainingData.Open(config)).Message);
    }

    // Class folders now sort by code point: a run trained before on names .NET ordered otherwise sees its classes
    // numbered in another order, and is told so rather than that they are not its classes.
    [Fact]
    public void AResumeOnTheRunsClassesInAnotherOrderSaysSo()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 96, test: 16);
        string run = temp.Combine("run");
        var trained = CliRunner.Run("train", "--model", "alexnet-micro", "--data", data, "--epochs", "2", "--max-steps", "1", "--batch-size", "32",
            "--validation", "32", "--threads", "1", "--out", run);
        Assert.True(trained.ExitCode == 0, trained.Stderr);
        string last = Path.Combine(run, "last.json");
        var sidecar = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(last))!;
        sidecar["classNames"] = new System.Text.Json.Nodes.JsonArray("1", "0", "2", "3");
        File.WriteAllText(last, sidecar.ToJsonString());
        var resumed = CliRunner.Run("train", "--resume", run);
        Assert.Equal(2, resumed.ExitCode);
        Assert.Contains("its classes are the ones", resumed.Stderr);
        Assert.Contains("numbered in another order", resumed.Stderr);
    }

    [Fact]
    public void AListWhoseLabelsSkipANumberNamesTheLabelNotAFolder()
    {
        using var temp = new TempDirectory();
        string folder = Directory.CreateDirectory(temp.Combine("list")).FullName;
        var lines = new List<string>();
        for (int i = 0; i < 4; i++)
        {
            TinyImages.WriteBar(Path.Combine(folder, $"{i}.png"), 4 + 6 * (i % 3));
            lines.Add($"{i}.png {(i % 2 == 0 ? 0 : 2)}");
        }
        File.WriteAllLines(Path.Combine(folder, "train.txt"), lines);
        var config = new TrainConfig { Model = "alexnet-micro", Data = "list:" + Path.Combine(folder, "train.txt"), ValidationCount = 0, Threads = 1, Schedule = "cosine" };
        var e = Assert.Throws<DataException>(() => TrainingData.Open(config, runDirectory: temp.Combine("run")));
        Assert.Contains("class 1 has no training images (no line of the list has its label); every label from 0 to 2 needs images", e.Message);
    }
}
