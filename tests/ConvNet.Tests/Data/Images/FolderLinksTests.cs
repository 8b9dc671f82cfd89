// Links to folders below a class folder. .NET's recursive listing followed `a/loop -> ..` until the kernel's limit on
// nested links: prepare said "train 285 images" from 7 real files, class b's images some 40 times over labelled a.
// A link leading back into the dataset (or to a folder holding it) is now refused, named; one to a folder elsewhere is
// followed, as torchvision's os.walk(followlinks=True) does.
using ConvNet.Data;
using ConvNet.Data.Images;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Data.Images;

public sealed class FolderLinksTests
{
    private static string Photos(TempDirectory temp, string name = "photos")
    {
        SyntheticImages.WriteFolder(temp.Combine(name), perClass: 2, seed: 1);
        return temp.Combine(name);
    }

    private static DataException Refused(string spec) => Assert.Throws<DataException>(() => ImageDataSpec.Open(spec));

    [Fact]
    public void ALinkToTheClassFoldersParentIsRefusedNamingIt()
    {
        using var temp = new TempDirectory();
        string photos = Photos(temp);
        string loop = Path.Combine(photos, "disc", "loop");
        Directory.CreateSymbolicLink(loop, "..");
        var e = Refused("folder:" + photos);
        Assert.StartsWith($"{loop}: a link to .., the dataset {photos} itself: its images would be read again, labelled disc", e.Message);
    }

    [Fact]
    public void ALinkToAnotherClassOrTheOtherSplitIsRefused()
    {
        using var temp = new TempDirectory();
        string photos = Photos(temp);
        string other = Path.Combine(photos, "disc", "checks");
        Directory.CreateSymbolicLink(other, Path.Combine(photos, "checks"));
        Assert.StartsWith($"{other}: a link to {Path.Combine(photos, "checks")}, inside {photos}, which the dataset reads", Refused("folder:" + photos).Message);

        SyntheticImages.WriteFolder(temp.Combine("split", "train"), perClass: 2, seed: 2);
        SyntheticImages.WriteFolder(temp.Combine("split", "val"), perClass: 1, seed: 3);
        string leak = temp.Combine("split", "train", "disc", "more");
        Directory.CreateSymbolicLink(leak, "../../val/disc"); // validation images trained on
        Assert.StartsWith($"{leak}: a link to ../../val/disc, inside {temp.Combine("split", "val")}, which the dataset reads", Refused("folder:" + temp.Combine("split")).Message);
    }

    // With train/ and val/ only those are read: a link into another folder of the dataset's root reads its images once.
    // The first version of the rule refused it as "inside the dataset".
    [Fact]
    public void ALinkIntoAFolderBesideTheSplitsIsFollowed()
    {
        using var temp = new TempDirectory();
        SyntheticImages.WriteFolder(temp.Combine("split", "train"), perClass: 2, seed: 2);
        SyntheticImages.WriteFolder(temp.Combine("split", "val"), perClass: 1, seed: 3);
        SyntheticImages.WriteFolder(temp.Combine("split", "raw"), perClass: 3, seed: 4);
        Directory.CreateSymbolicLink(temp.Combine("split", "train", "disc", "more"), "../../raw/disc");
        var train = ImageDataSpec.Open("folder:" + temp.Combine("split")).Train;
        Assert.Equal(5, Enumerable.Range(0, train.Count).Count(i => train.Label(i) == 1)); // disc: its 2 and the 3 linked
    }

    [Fact]
    public void ALinkToAFolderHoldingTheDatasetIsRefusedBeforeWalkingIt()
    {
        using var temp = new TempDirectory();
        string photos = Photos(temp);
        string up = Path.Combine(photos, "disc", "everything");
        Directory.CreateSymbolicLink(up, temp.Path); // or "/": refused from the link alone, nothing below it listed
        Assert.StartsWith($"{up}: a link to {temp.Path}, a folder that holds the dataset {photos}", Refused("folder:" + photos).Message);
    }

    [Fact]
    public void ALinkToAFolderElsewhereIsFollowedUnlessItLoopsThere()
    {
        using var temp = new TempDirectory();
        string photos = Photos(temp);
        string elsewhere = Path.Combine(Photos(temp, "more"), "disc");
        Directory.CreateSymbolicLink(Path.Combine(photos, "disc", "more"), elsewhere);
        var train = ImageDataSpec.Open("folder:" + photos).Train;
        Assert.Equal(10, train.Count);
        Assert.Equal(4, Enumerable.Range(0, train.Count).Count(i => train.Label(i) == 1)); // disc: its 2 and the 2 linked
        Assert.Contains(Enumerable.Range(0, train.Count), i => train.Describe(i) == Path.Combine(photos, "disc", "more", "000.jpg"));

        string back = Path.Combine(elsewhere, "back");
        Directory.CreateSymbolicLink(back, elsewhere);
        // Named by the path the listing reached it through.
        Assert.StartsWith($"{Path.Combine(photos, "disc", "more", "back")}: a link back to a folder it is inside (a loop)", Refused("folder:" + photos).Message);
    }
}
