// On image data the in-memory augmentations are refused naming only those set: `train --data folder:DIR --flip` was
// told "--crop-padding, --flip and --random-erase apply to in-memory datasets", two options it never gave.
using ConvNet.Training;

namespace ConvNet.Tests.Training;

public class InMemoryAugmentationOnImageDataTests
{
    [Theory]
    [InlineData("--flip applies to in-memory datasets", 0, true, 0f)]
    [InlineData("--crop-padding applies to in-memory datasets", 2, false, 0f)]
    [InlineData("--random-erase applies to in-memory datasets", 0, false, 0.5f)]
    [InlineData("--crop-padding and --flip apply to in-memory datasets", 2, true, 0f)]
    [InlineData("--crop-padding, --flip and --random-erase apply to in-memory datasets", 2, true, 0.5f)]
    public void OnlyTheOnesSetAreNamed(string expected, int cropPadding, bool flip, float erase)
    {
        var config = new TrainConfig { Data = "folder:/photos", CropPadding = cropPadding, HorizontalFlip = flip, RandomErase = erase };
        var e = Assert.Throws<ArgumentException>(config.Validate);
        Assert.StartsWith(expected, e.Message);
        Assert.Contains("image data (folder:/photos)", e.Message);
    }

    [Fact]
    public void TheCliNamesOnlyTheOptionGiven()
    {
        using var temp = new Support.TempDirectory();
        var result = Support.CliRunner.Run("train", "--model", "alexnet-small", "--data", "folder:/nonexistent", "--flip", "--out", temp.Combine("never"));
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("convnet train: --flip applies to in-memory datasets", result.Stderr);
        Assert.DoesNotContain("--crop-padding", result.Stderr);
    }
}
