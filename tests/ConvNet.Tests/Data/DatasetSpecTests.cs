using ConvNet.Data;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Data;

public class DatasetSpecTests
{
    [Fact]
    public void PathsInASpecAreMadeAbsoluteAndOnlyPaths()
    {
        string here = Environment.CurrentDirectory;
        Assert.Equal("fashion-mnist", DatasetSpec.WithAbsolutePaths("fashion-mnist"));
        Assert.Equal($"idx:{Path.Combine(here, "data")}", DatasetSpec.WithAbsolutePaths("idx:data"));
        Assert.Equal("cifar10:/srv/cifar", DatasetSpec.WithAbsolutePaths("cifar10:/srv/cifar"));
        Assert.Equal($"list:{Path.Combine(here, "a.txt")},{Path.Combine(here, "b", "v.txt")}", DatasetSpec.WithAbsolutePaths("list:a.txt,b/v.txt"));
        Assert.Equal("idx:", DatasetSpec.WithAbsolutePaths("idx:")); // left for the loader to refuse
        Assert.Equal("folder", DatasetSpec.Kind("folder:x"));
        Assert.Equal("fashion-mnist", DatasetSpec.Kind("fashion-mnist"));
        Assert.Equal("no-such-folder-here", DatasetSpec.MissingRelativePath("mnist:no-such-folder-here"));
        Assert.Null(DatasetSpec.MissingRelativePath("mnist:/no/such/absolute")); // absolute: the loader names it
        Assert.Null(DatasetSpec.MissingRelativePath($"folder:{Path.GetFileName(here)}/.."));
    }

    [Theory]
    [InlineData("imagenet")]
    [InlineData("mnist")]        // needs a directory
    [InlineData("idx:")]
    [InlineData("cifar10")]      // so does this
    public void UnknownSpecListsTheKnownForms(string spec)
    {
        var e = Assert.Throws<DataException>(() => DatasetSpec.Load(spec));
        Assert.Contains($"'{spec}'", e.Message);
        foreach (string form in DatasetSpec.Forms) Assert.Contains(form, e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void IdxDirectoryLoadsRawAndGzip(bool gzip)
    {
        using var dir = new TempDirectory();
        var train = TinyDatasets.Make("a", 12, 1, 6, 5, 4, seed: 1);
        var test = TinyDatasets.Make("b", 5, 1, 6, 5, 4, seed: 2);
        IdxWriter.WriteSplits(dir.Path, new DatasetSplits(train, test), gzip);

        var splits = DatasetSpec.Load("idx:" + dir.Path);
        Assert.Equal((12, 5), (splits.Train.Count, splits.Test.Count));
        Assert.Equal((1, 6, 5), (splits.Train.Channels, splits.Train.Height, splits.Train.Width));
        Assert.Equal(train.Pixels.ToArray(), splits.Train.Pixels.ToArray());
        Assert.Equal(test.Labels.ToArray(), splits.Test.Labels.ToArray());
        Assert.Equal(["0", "1", "2", "3"], splits.Train.ClassNames);
        Assert.Equal("idx train", splits.Train.Name);
    }

    [Fact]
    public void DottedFileNamesAreAccepted()
    {
        using var dir = new TempDirectory();
        var train = TinyDatasets.MakeGray(3, 28);
        IdxWriter.WriteSplits(dir.Path, new DatasetSplits(train, train), gzip: false);
        foreach (string name in IdxWriter.StandardNames)
            File.Move(dir.File(name), dir.File(name.Replace("-idx", ".idx")));
        var splits = DatasetSpec.Load("mnist:" + dir.Path);
        Assert.Equal(3, splits.Test.Count);
        Assert.Equal(ClassNames.Digits, splits.Train.ClassNames);
    }

    [Fact]
    public void MnistRequires28x28()
    {
        using var dir = new TempDirectory();
        var data = TinyDatasets.MakeGray(3, 8);
        IdxWriter.WriteSplits(dir.Path, new DatasetSplits(data, data), gzip: false);
        var e = Assert.Throws<DataException>(() => DatasetSpec.Load("mnist:" + dir.Path));
        Assert.Contains("holds 8x8 images, expected 28x28", e.Message);
        Assert.Contains(dir.File("train-images-idx3-ubyte"), e.Message);
    }

    [Fact]
    public void TrainAndTestWithDifferentDimensionsAreRejected()
    {
        using var dir = new TempDirectory();
        IdxWriter.WriteSplits(dir.Path, new DatasetSplits(TinyDatasets.MakeGray(3, 8), TinyDatasets.MakeGray(3, 9)), gzip: true);
        var e = Assert.Throws<DataException>(() => DatasetSpec.Load("idx:" + dir.Path));
        Assert.Contains("holds 8x8 images but", e.Message);
        Assert.Contains("holds 9x9", e.Message);
    }

    [Fact]
    public void MissingDatasetDirectoryIsReported()
    {
        using var dir = new TempDirectory();
        string missing = dir.File("no-such-dir");
        var e = Assert.Throws<DataException>(() => DatasetSpec.Load("idx:" + missing));
        Assert.Equal($"idx: dataset directory not found: {missing}", e.Message);
        e = Assert.Throws<DataException>(() => DatasetSpec.Load("cifar10:" + missing));
        Assert.Contains($"dataset directory not found: {missing}", e.Message);
    }

    [Fact]
    public void MissingFileInDatasetDirectoryIsNamed()
    {
        using var dir = new TempDirectory();
        var data = TinyDatasets.MakeGray(3, 4);
        IdxWriter.WriteSplits(dir.Path, new DatasetSplits(data, data), gzip: false);
        File.Delete(dir.File("t10k-labels-idx1-ubyte"));
        var e = Assert.Throws<DataException>(() => DatasetSpec.Load("idx:" + dir.Path));
        Assert.Contains(dir.File("t10k-labels-idx1-ubyte") + " not found", e.Message);
    }

    [Fact]
    public void ErrorsInsideTheParallelReadComeThroughAsDataException()
    {
        using var dir = new TempDirectory();
        var data = TinyDatasets.MakeGray(3, 4);
        IdxWriter.WriteSplits(dir.Path, new DatasetSplits(data, data), gzip: false);
        string testImages = dir.File("t10k-images-idx3-ubyte");
        File.WriteAllBytes(testImages, File.ReadAllBytes(testImages)[..20]);
        var e = Assert.Throws<DataException>(() => DatasetSpec.Load("idx:" + dir.Path));
        Assert.Equal($"{testImages}: truncated: expected 48 bytes of pixel data, found 4", e.Message);
    }

    [Fact]
    public void AbsentFashionMnistSaysHowToInstallIt()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<DataException>(() => DatasetSpec.LoadFashionMnist(dir.File("absent")));
        Assert.Contains("install it with: apt-get install dataset-fashion-mnist", e.Message);
    }

    [Fact]
    public void Cifar10DirectoryRoundTripsWithMetaNames()
    {
        using var dir = new TempDirectory();
        var names = new[] { "a", "b", "c" };
        var train = new ImageDataset("t", 3, 32, 32, RandomBytes(11 * 3072, 1), Enumerable.Range(0, 11).Select(i => i % 3).ToArray(), names);
        var test = new ImageDataset("v", 3, 32, 32, RandomBytes(4 * 3072, 2), [2, 1, 0, 2], names);
        Cifar10Writer.WriteSplits(dir.Path, new DatasetSplits(train, test));

        var splits = DatasetSpec.Load("cifar10:" + dir.Path);
        Assert.Equal((11, 4), (splits.Train.Count, splits.Test.Count));
        Assert.Equal((3, 32, 32), (splits.Train.Channels, splits.Train.Height, splits.Train.Width));
        Assert.Equal(train.Pixels.ToArray(), splits.Train.Pixels.ToArray());
        Assert.Equal(train.Labels.ToArray(), splits.Train.Labels.ToArray());
        Assert.Equal(test.Pixels.ToArray(), splits.Test.Pixels.ToArray());
        Assert.Equal(names, splits.Train.ClassNames);
    }

    [Fact]
    public void Cifar10WithoutMetaUsesStandardNamesAndFindsNestedFolder()
    {
        using var dir = new TempDirectory();
        var train = TinyDatasets.Make("t", 5, 3, 32, 32, 10, seed: 4);
        string nested = dir.File("cifar-10-batches-bin");
        Cifar10Writer.WriteSplits(nested, new DatasetSplits(train, train));
        File.Delete(Path.Combine(nested, "batches.meta.txt"));
        var splits = DatasetSpec.Load("cifar10:" + dir.Path);
        Assert.Equal(ClassNames.Cifar10, splits.Test.ClassNames);
        Assert.Equal(5, splits.Train.Count);
    }

    [Fact]
    public void Cifar10LengthNotMultipleOfRecordIsRejected()
    {
        using var dir = new TempDirectory();
        string path = dir.File("data_batch_1.bin");
        File.WriteAllBytes(path, new byte[2 * 3073 + 100]);
        var e = Assert.Throws<DataException>(() => Cifar10Reader.ReadFiles([path], "x", ClassNames.Cifar10));
        Assert.Contains(path, e.Message);
        Assert.Contains("length 6246 is not a positive multiple of the 3073-byte CIFAR-10 record", e.Message);
    }

    [Fact]
    public void Cifar10LabelOutOfRangeAndMissingBatchAreReported()
    {
        using var dir = new TempDirectory();
        string path = dir.File("data_batch_1.bin");
        var records = new byte[2 * 3073];
        records[3073] = 10;
        File.WriteAllBytes(path, records);
        var e = Assert.Throws<DataException>(() => Cifar10Reader.ReadFiles([path], "x", ClassNames.Cifar10));
        Assert.Equal($"{path}: label 10 of record 1 is outside 0..9", e.Message);

        e = Assert.Throws<DataException>(() => DatasetSpec.Load("cifar10:" + dir.Path));
        Assert.Contains(dir.File("data_batch_2.bin") + ": file not found", e.Message);
    }

    [Fact]
    public void FashionMnistCopiedElsewhereLoadsWithItsClassNamesAndKeepsItsPathAbsolute()
    {
        // What --resume --data names when a run's fashion-mnist is no longer where the package put it.
        using var dir = new TempDirectory();
        TinyDataset.WriteIdx(dir.Path, train: 20, test: 10);
        var copy = DatasetSpec.Load("fashion-mnist:" + dir.Path);
        Assert.Equal(ClassNames.FashionMnist, copy.Train.ClassNames);
        Assert.Equal(20, copy.Train.Count);
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, dir.Path);
        Assert.Equal("fashion-mnist:" + dir.Path, DatasetSpec.WithAbsolutePaths("fashion-mnist:" + relative));
        Assert.Equal("fashion-mnist", DatasetSpec.WithAbsolutePaths("fashion-mnist"));
    }

    private static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new System.Random(seed).NextBytes(bytes);
        return bytes;
    }
}
