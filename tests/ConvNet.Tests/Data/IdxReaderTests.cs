using System.IO.Compression;
using ConvNet.Data;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Data;

public class IdxReaderTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ImagesAndLabelsRoundTripRawAndGzip(bool gzip)
    {
        using var dir = new TempDirectory();
        var data = TinyDatasets.Make("tiny", 7, 1, 5, 3, 10, seed: 3);
        string suffix = gzip ? ".gz" : "";
        string images = dir.File("images" + suffix), labels = dir.File("labels" + suffix);
        IdxWriter.WriteDataset(data, images, labels);

        byte[] start = File.ReadAllBytes(images)[..2];
        Assert.Equal(gzip, start[0] == 0x1F && start[1] == 0x8B);

        var read = IdxReader.ReadDataset(images, labels, "read", ClassNames.Digits);
        Assert.Equal((7, 1, 5, 3), (read.Count, read.Channels, read.Height, read.Width));
        Assert.Equal(data.Pixels.ToArray(), read.Pixels.ToArray());
        Assert.Equal(data.Labels.ToArray(), read.Labels.ToArray());
    }

    [Fact]
    public void GzipIsDetectedFromContentNotName()
    {
        using var dir = new TempDirectory();
        var data = TinyDatasets.MakeGray(4, 3);
        IdxWriter.WriteDataset(data, dir.File("i.gz"), dir.File("l.gz"));
        File.Move(dir.File("i.gz"), dir.File("images-no-extension"));
        var images = IdxReader.ReadImages(dir.File("images-no-extension"));
        Assert.Equal(data.Pixels.ToArray(), images.Pixels);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncatedImagesFileNamesPathAndByteCounts(bool gzip)
    {
        using var dir = new TempDirectory();
        string path = dir.File(gzip ? "images.gz" : "images");
        // Header promises 4 images of 3x3 = 36 bytes; only 30 follow.
        WriteBytes(path, gzip, [.. Header(0x803, 4, 3, 3), .. new byte[30]]);
        var e = Assert.Throws<DataException>(() => IdxReader.ReadImages(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated: expected 36 bytes of pixel data, found 30", e.Message);
    }

    [Fact]
    public void GzipHeaderPromisingGigabytesCostsOnlyTheMemoryOfItsData()
    {
        using var dir = new TempDirectory();
        string path = dir.File("huge.gz");
        // 30,000 images of 200x200 = 1.2 GB declared; 20 MB of zeros really there (a few KiB compressed).
        WriteBytes(path, gzip: true, [.. Header(0x803, 30_000, 200, 200), .. new byte[20_000_000]]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<DataException>(() => IdxReader.ReadImages(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("truncated: expected 1200000000 bytes of pixel data, found 20000000", e.Message);
        Assert.True(allocated < 200_000_000, $"allocated {allocated:N0} bytes");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncatedLabelsFileNamesPathAndByteCounts(bool gzip)
    {
        using var dir = new TempDirectory();
        string path = dir.File(gzip ? "labels.gz" : "labels");
        WriteBytes(path, gzip, [.. Header(0x801, 10), 1, 2, 3]);
        var e = Assert.Throws<DataException>(() => IdxReader.ReadLabels(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated: expected 10 bytes of label data, found 3", e.Message);
    }

    [Fact]
    public void TruncatedHeaderIsReported()
    {
        using var dir = new TempDirectory();
        string path = dir.File("images");
        WriteBytes(path, false, [.. Header(0x803, 4, 3)]); // 12 of 16 header bytes
        var e = Assert.Throws<DataException>(() => IdxReader.ReadImages(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated: expected a 16-byte IDX image header, found 12 bytes", e.Message);
    }

    [Fact]
    public void EmptyFileIsReported()
    {
        using var dir = new TempDirectory();
        string path = dir.File("labels");
        File.WriteAllBytes(path, []);
        var e = Assert.Throws<DataException>(() => IdxReader.ReadLabels(path));
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void WrongMagicIsReportedInHex()
    {
        using var dir = new TempDirectory();
        string path = dir.File("images");
        WriteBytes(path, false, [.. Header(0x12345678, 1, 1, 1), 0]);
        var e = Assert.Throws<DataException>(() => IdxReader.ReadImages(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("not an IDX image file: magic 0x12345678", e.Message);
    }

    [Fact]
    public void LabelFileReadAsImagesSaysWhatItIs()
    {
        using var dir = new TempDirectory();
        string path = dir.File("labels");
        IdxWriter.WriteLabels(path, [1, 2, 3]);
        var e = Assert.Throws<DataException>(() => IdxReader.ReadImages(path));
        Assert.Contains("not an IDX image file: magic 0x00000801", e.Message);
        Assert.Contains("this is an IDX label file", e.Message);

        var images = dir.File("images");
        IdxWriter.WriteImages(images, 1, 1, 1, [7]);
        e = Assert.Throws<DataException>(() => IdxReader.ReadLabels(images));
        Assert.Contains("not an IDX label file: magic 0x00000803", e.Message);
    }

    [Fact]
    public void TrailingBytesAfterDeclaredDataAreRejected()
    {
        using var dir = new TempDirectory();
        string path = dir.File("labels.gz");
        WriteBytes(path, true, [.. Header(0x801, 2), 1, 2, 3]);
        var e = Assert.Throws<DataException>(() => IdxReader.ReadLabels(path));
        Assert.Contains("holds more than the 2 bytes of label data", e.Message);
    }

    [Theory]
    [InlineData(0, 28)]
    [InlineData(28, -1)]
    public void NonPositiveDimensionsAreRejected(int rows, int cols)
    {
        using var dir = new TempDirectory();
        string path = dir.File("images");
        WriteBytes(path, false, [.. Header(0x803, 1, rows, cols)]);
        var e = Assert.Throws<DataException>(() => IdxReader.ReadImages(path));
        Assert.Contains($"invalid IDX image header: 1 images of {rows}x{cols}", e.Message);
    }

    [Fact]
    public void HugeDeclaredSizeInSmallRawFileFailsBeforeAllocating()
    {
        using var dir = new TempDirectory();
        string path = dir.File("images");
        WriteBytes(path, false, [.. Header(0x803, 60000, 200, 150), 1, 2]);
        var e = Assert.Throws<DataException>(() => IdxReader.ReadImages(path));
        Assert.Contains("truncated: expected 1800000000 bytes of pixel data, found 2", e.Message);
    }

    [Fact]
    public void ImageLabelCountMismatchNamesBothFiles()
    {
        using var dir = new TempDirectory();
        string images = dir.File("images"), labels = dir.File("labels");
        IdxWriter.WriteImages(images, 3, 2, 2, new byte[12]);
        IdxWriter.WriteLabels(labels, [0, 1]);
        var e = Assert.Throws<DataException>(() => IdxReader.ReadDataset(images, labels, "x", ClassNames.Digits));
        Assert.Equal($"{images} holds 3 images but {labels} holds 2 labels", e.Message);
    }

    [Fact]
    public void LabelOutsideClassesIsRejected()
    {
        using var dir = new TempDirectory();
        string images = dir.File("images"), labels = dir.File("labels");
        IdxWriter.WriteImages(images, 3, 2, 2, new byte[12]);
        IdxWriter.WriteLabels(labels, [0, 10, 1]);
        var e = Assert.Throws<DataException>(() => IdxReader.ReadDataset(images, labels, "x", ClassNames.Digits));
        Assert.Equal($"{labels}: label 10 at index 1 is outside 0..9", e.Message);
    }

    [Fact]
    public void WithoutClassNamesClassesAreNumberedUpToTheHighestLabel()
    {
        using var dir = new TempDirectory();
        string images = dir.File("images"), labels = dir.File("labels");
        IdxWriter.WriteImages(images, 3, 2, 2, new byte[12]);
        IdxWriter.WriteLabels(labels, [0, 12, 1]);
        var data = IdxReader.ReadDataset(images, labels, "x", classNames: null);
        Assert.Equal(13, data.ClassNames.Count);
        Assert.Equal("12", data.ClassNames[12]);
    }

    [Fact]
    public void MissingFileIsReported()
    {
        using var dir = new TempDirectory();
        string path = dir.File("nothing-here");
        var e = Assert.Throws<DataException>(() => IdxReader.ReadImages(path));
        Assert.Equal($"{path}: file not found", e.Message);
    }

    [Fact]
    public void CorruptGzipIsReported()
    {
        using var dir = new TempDirectory();
        string path = dir.File("images.gz");
        File.WriteAllBytes(path, [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        var e = Assert.Throws<DataException>(() => IdxReader.ReadImages(path));
        Assert.StartsWith($"{path}: ", e.Message);
    }

    /// <summary>Big-endian IDX header words.</summary>
    internal static byte[] Header(params int[] words) =>
        words.SelectMany(w => new[] { (byte)(w >> 24), (byte)(w >> 16), (byte)(w >> 8), (byte)w }).ToArray();

    internal static void WriteBytes(string path, bool gzip, byte[] bytes)
    {
        using var file = File.Create(path);
        using Stream stream = gzip ? new GZipStream(file, CompressionLevel.Fastest) : file;
        stream.Write(bytes);
    }
}
