// folder: and list: datasets (classes, splits, errors) and the packed cache (same bytes as decoding, damage detected).
using ConvNet.Data;
using ConvNet.Data.Images;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Data.Images;

public sealed class ImageFilesAndCacheTests
{
    [Fact]
    public void FolderClassesAreSortedSubFoldersAndTrainValSplitsAreUsed()
    {
        using var temp = new Support.TempDirectory();
        SyntheticImages.WriteFolder(temp.Combine("train"), perClass: 2, seed: 1);
        SyntheticImages.WriteFolder(temp.Combine("val"), perClass: 1, seed: 2);
        var splits = ImageDataSpec.Open("folder:" + temp.Path);
        Assert.Equal(SyntheticImages.ClassNames, splits.Train.ClassNames);
        Assert.Equal(8, splits.Train.Count);
        Assert.Equal(4, splits.Validation!.Count);
        Assert.Equal([0, 0, 1, 1, 2, 2, 3, 3], Enumerable.Range(0, 8).Select(splits.Train.Label));

        Directory.CreateDirectory(temp.Combine("val", "extra"));
        var e = Assert.Throws<DataException>(() => ImageDataSpec.Open("folder:" + temp.Path));
        Assert.Contains("differ from the training split", e.Message);
    }

    [Fact]
    public void EmptyFolderAndMissingListEntriesAreClearErrors()
    {
        using var temp = new Support.TempDirectory();
        Assert.Contains("no class folders", Assert.Throws<DataException>(() => ImageDataSpec.Open("folder:" + temp.Path)).Message);
        Directory.CreateDirectory(temp.Combine("cat"));
        Assert.Contains("hold no files", Assert.Throws<DataException>(() => ImageDataSpec.Open("folder:" + temp.Path)).Message);

        File.WriteAllText(temp.Combine("train.txt"), "# comment\n\ncat/a.jpg 0\n");
        var missing = Assert.Throws<DataException>(() => ImageDataSpec.Open("list:" + temp.Combine("train.txt")));
        Assert.Contains("line 3", missing.Message);
        Assert.Contains(Path.Combine(temp.Path, "cat", "a.jpg"), missing.Message);
        File.WriteAllText(temp.Combine("bad.txt"), "cat/a.jpg zero\n");
        Assert.Contains("expected 'relative/path label'", Assert.Throws<DataException>(() => ImageDataSpec.Open("list:" + temp.Combine("bad.txt"))).Message);
    }

    [Fact]
    public void TrainingRefusesOneClassAndClassesWithoutImagesButEvaluationTakesThem()
    {
        using var temp = new Support.TempDirectory();
        Directory.CreateDirectory(temp.Combine("train", "cat"));
        File.WriteAllText(temp.Combine("train", "cat", "1.jpg"), "");
        var onlyTrain = ImageDataSpec.Open("folder:" + temp.Path).Train; // train/ without val/: read as one class, "train"
        Assert.Contains("a train/ folder without its train/ or val/ partner", Assert.Throws<DataException>(() => ImageDataSpec.RequireTrainable("folder:x", onlyTrain)).Message);
        string classes = temp.Combine("train");
        Directory.CreateDirectory(Path.Combine(classes, "dog"));
        var emptyDog = ImageDataSpec.Open("folder:" + classes).Train;
        Assert.Contains("class dog has no training images", Assert.Throws<DataException>(() => ImageDataSpec.RequireTrainable("folder:x", emptyDog)).Message);
        Assert.Equal(["cat", "dog"], ImageDataSpec.OpenForEvaluation("folder:" + classes).ClassNames); // a test folder may lack a class's images
        File.WriteAllText(Path.Combine(classes, "dog", "1.jpg"), "");
        ImageDataSpec.RequireTrainable("folder:x", ImageDataSpec.Open("folder:" + classes).Train);
    }

    [Fact]
    public void ListFilesNameImagesRelativeToTheListWithOptionalClassNames()
    {
        using var temp = new Support.TempDirectory();
        SyntheticImages.WriteFolder(temp.Combine("img with space"), perClass: 1, seed: 3);
        File.WriteAllText(temp.Combine("train.txt"), "img with space/disc/000.jpg 1\nimg with space/checks/000.jpg 0\nimg with space/hstripes/000.jpg 3\n");
        File.WriteAllText(temp.Combine("val.txt"), "img with space/vstripes/000.jpg 3\n");
        var splits = ImageDataSpec.Open($"list:{temp.Combine("train.txt")},{temp.Combine("val.txt")}");
        Assert.Equal(["0", "1", "2", "3"], splits.Train.ClassNames); // up to the training list's highest label
        Assert.Equal(1, splits.Train.Label(0));
        Assert.Equal(1, splits.Validation!.Count);
        File.WriteAllLines(temp.Combine("classes.txt"), ["checks", "", "disc", "hstripes", "vstripes", ""]); // blank lines skipped
        Assert.Equal(SyntheticImages.ClassNames, ImageDataSpec.Open("list:" + temp.Combine("train.txt")).Train.ClassNames);
        // A name twice would make two classes one when eval matches classes by name.
        File.WriteAllLines(temp.Combine("classes.txt"), ["checks", "disc", "disc", "vstripes"]);
        var e = Assert.Throws<DataException>(() => ImageDataSpec.Open("list:" + temp.Combine("train.txt")));
        Assert.Contains("class name 'disc' on line 3 is already on line 2; class names must be unique", e.Message);
    }

    [Fact]
    public void AnEmptyValidationListAndALineNamingAFolderAreEachNamed()
    {
        // Pass 37: an empty validation list trained with nothing held out (every epoch "best"), and a line naming a
        // folder said the folder "does not exist".
        using var temp = new Support.TempDirectory();
        SyntheticImages.WriteFolder(temp.Combine("img"), perClass: 1, seed: 3);
        File.WriteAllText(temp.Combine("train.txt"), "img/disc/000.jpg 1\nimg/checks/000.jpg 0\n");
        File.WriteAllText(temp.Combine("empty.txt"), "# nothing here\n");
        var empty = Assert.Throws<DataException>(() => ImageDataSpec.Open($"list:{temp.Combine("train.txt")},{temp.Combine("empty.txt")}"));
        Assert.Equal($"{temp.Combine("empty.txt")}: the validation list names no images; give it images, or leave it out to train on {temp.Combine("train.txt")} alone",
            empty.Message);
        File.WriteAllText(temp.Combine("folder.txt"), "img/disc 1\n");
        var folder = Assert.Throws<DataException>(() => ImageDataSpec.Open($"list:{temp.Combine("train.txt")},{temp.Combine("folder.txt")}"));
        Assert.Equal($"{temp.Combine("folder.txt")} line 1: names {temp.Combine("img", "disc")}, which is a folder, not an image file", folder.Message);
    }

    // A validation label past the training list's classes was blamed on the training list: without classes.txt,
    // "class 3 has no training images (no line of the list has its label); every label from 0 to 7 needs images"; with
    // it, "train.txt: label 7 is beyond the 3 classes named in classes.txt", no line named.
    [Fact]
    public void AValidationLabelPastTheClassesIsNamedAtItsLine()
    {
        using var temp = new Support.TempDirectory();
        SyntheticImages.WriteFolder(temp.Combine("img"), perClass: 2, seed: 3);
        string train = temp.Combine("train.txt"), val = temp.Combine("val.txt");
        File.WriteAllText(train, "img/checks/000.jpg 0\nimg/disc/000.jpg 1\nimg/hstripes/000.jpg 2\n");
        File.WriteAllText(val, "img/checks/001.png 0\n# a comment\nimg/disc/001.png 7\n");
        var e = Assert.Throws<DataException>(() => ImageDataSpec.Open($"list:{train},{val}"));
        Assert.Equal($"{val} line 3: label 7 is beyond the 3 classes of {train} (labels 0 to 2)", e.Message);

        string names = temp.Combine("classes.txt");
        File.WriteAllLines(names, ["checks", "disc", "hstripes"]);
        e = Assert.Throws<DataException>(() => ImageDataSpec.Open($"list:{train},{val}"));
        Assert.Equal($"{val} line 3: label 7 is beyond the 3 classes named in {names}", e.Message);
        File.WriteAllText(train, "img/checks/000.jpg 0\nimg/disc/000.jpg 3\n");
        e = Assert.Throws<DataException>(() => ImageDataSpec.Open($"list:{train}"));
        Assert.Equal($"{train} line 2: label 3 is beyond the 3 classes named in {names}", e.Message);
    }

    [Fact]
    public void AListPathMayHoldACommaAndAMissingPartSaysHowTheCommaWasRead()
    {
        using var temp = new Support.TempDirectory();
        string folder = temp.Combine("com,ma");
        SyntheticImages.WriteFolder(Path.Combine(folder, "img"), perClass: 1, seed: 5);
        string train = Path.Combine(folder, "train.txt"), val = Path.Combine(folder, "val,1.txt");
        File.WriteAllText(train, "img/disc/000.jpg 1\nimg/checks/000.jpg 0\n");
        File.WriteAllText(val, "img/vstripes/000.jpg 1\n");

        Assert.Equal(2, ImageDataSpec.Open("list:" + train).Train.Count);
        var both = ImageDataSpec.Open($"list:{train},{val}");
        Assert.Equal(1, both.Validation!.Count);
        Assert.Equal($"list:{train}", DatasetSpec.WithAbsolutePaths("list:" + train)); // one path, recorded whole

        var e = Assert.Throws<DataException>(() => ImageDataSpec.Open("list:" + temp.Combine("com,ma", "nothing.txt")));
        Assert.Contains($"{temp.Combine("com")}: list file not found", e.Message);
        Assert.Contains("split at a comma, and no file has the whole name", e.Message);
    }

    // Two prepares into one folder at once both said done (one's cache silently the other's), or both failed and left
    // it empty: the second is refused while the first holds the folder's lock, and a cache found there under the lock
    // is refused unless replacing was asked for.
    [Fact]
    public void OnePrepareAtATimeWritesACacheFolder()
    {
        using var temp = new Support.TempDirectory();
        string data = temp.Combine("images"), cache = temp.Combine("cache");
        SyntheticImages.WriteFolder(data, perClass: 1, seed: 4);
        Directory.CreateDirectory(cache);
        using (var held = ConvNet.IO.FolderLock.TryTake(Path.Combine(cache, PackedImageCache.LockFile)))
        {
            Assert.NotNull(held);
            var busy = Assert.Throws<IOException>(() => PackedImageCache.Write("folder:" + data, cache, threads: 1));
            Assert.Contains("another convnet prepare is writing a cache there", busy.Message);
            Assert.False(File.Exists(Path.Combine(cache, PackedImageCache.InfoFile)));
        }
        PackedImageCache.Write("folder:" + data, cache, threads: 1, replace: false);
        var there = Assert.Throws<IOException>(() => PackedImageCache.Write("folder:" + data, cache, threads: 1, replace: false));
        Assert.Contains("already holds a cache", there.Message);
        PackedImageCache.Write("folder:" + data, cache, threads: 1, replace: true);
    }

    [Fact]
    public void PackedCacheHoldsTheDecodedSquaresAndDetectsDamage()
    {
        using var temp = new Support.TempDirectory();
        string data = temp.Combine("images");
        SyntheticImages.WriteFolder(data, perClass: 2, seed: 4);
        string[] bad = SyntheticImages.WriteBadFiles(data, seed: 5);
        var messages = new List<string>();
        var info = PackedImageCache.Write("folder:" + data, temp.Combine("cache"), threads: 2, messages.Add);
        Assert.Equal(8, info.Splits["train"]);
        Assert.Equal(bad.Order(), info.Skipped.Select(s => s.Path).Order());
        Assert.All(bad, b => Assert.Contains(messages, m => m.Contains(b)));

        var files = ImageDataSpec.Open("folder:" + data).Train;
        var good = Enumerable.Range(0, files.Count).Where(i => !bad.Contains(files.Describe(i))).ToArray();
        var cache = ImageDataSpec.Open("cache:" + temp.Combine("cache"));
        using (var store = (PackedImageStore)cache.Train)
        {
            Assert.Null(cache.Validation);
            Assert.Equal(good.Length, store.Count);
            var fromCache = new byte[3 * 256 * 256];
            var decoded = new byte[3 * 256 * 256];
            for (int i = 0; i < store.Count; i++)
            {
                store.Read(i, fromCache);
                files.Read(good[i], decoded);
                Assert.Equal(decoded, fromCache);
                Assert.Equal(files.Label(good[i]), store.Label(i));
            }
        }
        string pack = temp.Combine("cache", "train.pack");
        using (var stream = File.OpenWrite(pack)) stream.SetLength(stream.Length - 100);
        Assert.Contains("truncated", Assert.Throws<DataException>(() => ImageDataSpec.Open("cache:" + temp.Combine("cache"))).Message);
        Assert.Contains("convnet prepare", Assert.Throws<DataException>(() => ImageDataSpec.Open("cache:" + temp.Combine("nothing"))).Message);
    }

    [Fact]
    public void PreparingOtherDataIntoTheSameFolderLeavesNoStaleValidationSplit()
    {
        using var temp = new Support.TempDirectory();
        string split = temp.Combine("split"), plain = temp.Combine("plain"), cacheDir = temp.Combine("cache");
        SyntheticImages.WriteFolder(Path.Combine(split, "train"), perClass: 2, seed: 6);
        SyntheticImages.WriteFolder(Path.Combine(split, "val"), perClass: 1, seed: 7);
        SyntheticImages.WriteFolder(plain, perClass: 3, seed: 8);

        PackedImageCache.Write("folder:" + split, cacheDir, threads: 2);
        var first = ImageDataSpec.Open("cache:" + cacheDir);
        Assert.NotNull(first.Validation);
        ((IDisposable)first.Train).Dispose();
        ((IDisposable)first.Validation!).Dispose();

        PackedImageCache.Write("folder:" + plain, cacheDir, threads: 2);
        Assert.False(File.Exists(Path.Combine(cacheDir, "val.pack")));
        var second = ImageDataSpec.Open("cache:" + cacheDir);
        Assert.Null(second.Validation);
        Assert.Equal(12, second.Train.Count);
        ((IDisposable)second.Train).Dispose();

        // A pack file that does not hold what cache.json says is refused.
        string info = Path.Combine(cacheDir, PackedImageCache.InfoFile);
        File.WriteAllText(info, File.ReadAllText(info).Replace("\"train\": 12", "\"train\": 13"));
        var e = Assert.Throws<DataException>(() => ImageDataSpec.Open("cache:" + cacheDir));
        Assert.Contains("holds 12 images", e.Message);
    }
}
