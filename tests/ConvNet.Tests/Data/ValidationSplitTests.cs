using ConvNet.Data;

namespace ConvNet.Tests.Data;

public class ValidationSplitTests
{
    /// <summary>Each 1x1x2 image stores its own index (low byte, high byte), so subsets can be traced back.</summary>
    private static ImageDataset Indexed(int count)
    {
        var pixels = new byte[count * 2];
        for (int i = 0; i < count; i++) (pixels[2 * i], pixels[2 * i + 1]) = ((byte)i, (byte)(i >> 8));
        return new ImageDataset("indexed", 1, 1, 2, pixels, Enumerable.Range(0, count).Select(i => i % 3).ToArray(), ClassNames.Numbered(3));
    }

    private static int[] Origins(ImageDataset part) =>
        Enumerable.Range(0, part.Count).Select(i => part.Image(i)[0] | part.Image(i)[1] << 8).ToArray();

    [Fact]
    public void PartsAreDisjointCoverEverythingAndKeepLabels()
    {
        var data = Indexed(1000);
        var (train, validation) = ValidationSplit.Split(data, 150, seed: 42);
        Assert.Equal((850, 150), (train.Count, validation.Count));
        int[] a = Origins(train), b = Origins(validation);
        Assert.Empty(a.Intersect(b));
        Assert.Equal(Enumerable.Range(0, 1000), a.Concat(b).Order());
        for (int i = 0; i < validation.Count; i++) Assert.Equal(b[i] % 3, validation.Label(i));
        Assert.Equal(a.Order(), a); // each part keeps the original order
        Assert.Equal(b.Order(), b);
    }

    [Fact]
    public void SameSeedSameSplitDifferentSeedDifferentSplit()
    {
        var data = Indexed(500);
        var first = Origins(ValidationSplit.Split(data, 50, seed: 7).Validation);
        var again = Origins(ValidationSplit.Split(data, 50, seed: 7).Validation);
        var other = Origins(ValidationSplit.Split(data, 50, seed: 8).Validation);
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.NotEqual(Enumerable.Range(450, 50), first); // actually shuffled, not just the tail
    }

    [Fact]
    public void EdgeCountsAndBadCounts()
    {
        var data = Indexed(10);
        Assert.Equal(0, ValidationSplit.Split(data, 0, 1).Validation.Count);
        Assert.Equal(0, ValidationSplit.Split(data, 10, 1).Train.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => ValidationSplit.Split(data, 11, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ValidationSplit.Split(data, -1, 1));
    }
}
