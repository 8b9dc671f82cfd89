// TrainConfig.NotApplied: the recorded settings a run never read, which `report` leaves out of its recipe.
using ConvNet.Tests.Support;
using ConvNet.Training;

namespace ConvNet.Tests.Training;

public sealed class NotAppliedSettingsTests
{
    [Fact]
    public void ThePaperNetOnImageDataWithPlateauReadsItsBiasesAugmentationAndPlateauSettings()
    {
        var unused = new TrainConfig { Model = "alexnet", Data = "folder:/photos", Schedule = "plateau" }.NotApplied();
        Assert.Equal(new[] { "CropPadding", "HorizontalFlip", "Normalization", "RandomErase", "StepSize" }, unused.Order());
    }

    [Fact]
    public void TheSmallNetOnInMemoryDataWithStepReadsNeitherBiasInitNorImageAugmentationNorPatience()
    {
        var unused = new TrainConfig { Model = "alexnet-small", Data = "fashion-mnist", Schedule = "step" }.NotApplied();
        Assert.Equal(new[] { "BiasInit", "LoaderThreads", "Mirror", "Patience", "PcaNoise", "Prefetch", "RandomCrop" }, unused.Order());
    }

    [Theory]
    [InlineData("alexnet-micro")]
    [InlineData("alexnet-torchvision")]
    public void OnlyThePaperNetReadsBiasInit(string model)
    {
        Assert.Contains("BiasInit", new TrainConfig { Model = model }.NotApplied());
        Assert.DoesNotContain("BiasInit", new TrainConfig { Model = "alexnet" }.NotApplied());
    }

    [Fact]
    public void CosineReadsNoneOfTheReductionSettings()
    {
        var unused = new TrainConfig { Schedule = "cosine" }.NotApplied();
        Assert.Contains("Gamma", unused);
        Assert.Contains("Patience", unused);
        Assert.Contains("StepSize", unused);
    }

    /// <summary>A run on image data with its own validation split held nothing out, yet its report showed
    /// "validationCount 5000" among the settings that applied.</summary>
    [Fact]
    public void ValidationCountAppliesOnlyWhereTheDataHasNoValidationSplitOfItsOwn()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Combine("split", "train", "a"));
        Directory.CreateDirectory(temp.Combine("split", "val", "a"));
        Directory.CreateDirectory(temp.Combine("flat", "a"));
        File.WriteAllText(temp.Combine("train.txt"), "");
        File.WriteAllText(temp.Combine("val.txt"), "");
        foreach (var (folder, splits) in new[] { ("cache-val", "\"train\": 4, \"val\": 2"), ("cache-train", "\"train\": 4") })
        {
            Directory.CreateDirectory(temp.Combine(folder));
            File.WriteAllText(temp.Combine(folder, "cache.json"),
                $"{{\"format\": 1, \"source\": \"folder:x\", \"size\": 36, \"classNames\": [\"a\", \"b\"], \"splits\": {{{splits}}}, \"skipped\": []}}");
        }
        bool Applies(string data) => !new TrainConfig { Data = data }.NotApplied().Contains("ValidationCount");

        Assert.False(Applies("folder:" + temp.Combine("split")));
        Assert.False(Applies($"list:{temp.Combine("train.txt")},{temp.Combine("val.txt")}"));
        Assert.False(Applies("cache:" + temp.Combine("cache-val")));
        Assert.True(Applies("folder:" + temp.Combine("flat")));
        Assert.True(Applies("list:" + temp.Combine("train.txt")));
        Assert.True(Applies("cache:" + temp.Combine("cache-train")));
        Assert.True(Applies("fashion-mnist"));
        Assert.True(Applies("folder:" + temp.Combine("gone"))); // data no longer there: nothing to tell by, so it is shown
    }
}
