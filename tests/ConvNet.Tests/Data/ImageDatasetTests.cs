using ConvNet.Data;

namespace ConvNet.Tests.Data;

public class ImageDatasetTests
{
    [Fact]
    public void ImageAndLabelAddressSamplesInChannelMajorOrder()
    {
        var pixels = Enumerable.Range(0, 2 * 12).Select(i => (byte)i).ToArray();
        var data = new ImageDataset("d", 3, 2, 2, pixels, [1, 0], ClassNames.Numbered(2));
        Assert.Equal((2, 12), (data.Count, data.SampleSize));
        Assert.Equal(pixels[12..], data.Image(1).ToArray());
        Assert.Equal(1, data.Label(0));
        Assert.Equal([1, 1], data.ClassCounts());
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Image(2).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Label(-1));
    }

    [Fact]
    public void SubsetCopiesTheChosenImagesInOrder()
    {
        var data = TinyDatasets.Make("d", 6, 1, 2, 3, 4, seed: 5);
        var subset = data.Subset([4, 1, 4], "s");
        Assert.Equal("s", subset.Name);
        Assert.Equal(3, subset.Count);
        Assert.Equal(data.Image(1).ToArray(), subset.Image(1).ToArray());
        Assert.Equal(data.Image(4).ToArray(), subset.Image(2).ToArray());
        Assert.Equal(data.Label(4), subset.Label(0));
    }

    [Fact]
    public void InconsistentConstructionIsRejected()
    {
        var e = Assert.Throws<DataException>(() => new ImageDataset("bad", 1, 2, 2, new byte[7], [0, 0], ClassNames.Digits));
        Assert.Contains("7 pixel bytes do not hold 2 images of 1x2x2", e.Message);
        e = Assert.Throws<DataException>(() => new ImageDataset("bad", 1, 1, 1, new byte[2], [0, 10], ClassNames.Digits));
        Assert.Contains("label 10 of image 1 is outside 0..9", e.Message);
        Assert.Throws<DataException>(() => new ImageDataset("bad", 0, 1, 1, [], [], ClassNames.Digits));
    }
}
