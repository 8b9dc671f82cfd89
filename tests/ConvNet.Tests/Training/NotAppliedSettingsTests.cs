// TrainConfig.NotApplied: the recorded settings a run never read, which `report` leaves out of its recipe.
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
}
