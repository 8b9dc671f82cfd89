using ConvNet.Data;

namespace ConvNet.Tests.Data;

public class ClassMatchTests
{
    private static readonly string[] Model = ["cat", "dog", "fox", "owl"];

    private static (int[]? ToModel, List<string> Notes) Match(params string[] data)
    {
        var notes = new List<string>();
        return (ClassMatch.ToModel(data, Model, "spec", "run/last.json", notes.Add), notes);
    }

    [Fact]
    public void TheSameNamesAreTakenAsTheyAreWithoutANote()
    {
        var (toModel, notes) = Match("cat", "dog", "fox", "owl");
        Assert.Null(toModel);
        Assert.Empty(notes);
    }

    [Fact]
    public void NamesInAnotherOrderOrSomeMissingAreMatchedByName()
    {
        var (reordered, notes) = Match("owl", "cat", "dog", "fox");
        Assert.Equal([3, 0, 1, 2], reordered!);
        Assert.Contains("matched its 4 classes to the model's 4 by name (they are in another order)", Assert.Single(notes));
        var (some, someNotes) = Match("dog", "owl");
        Assert.Equal([1, 3], some!);
        Assert.Contains("(2 of the model's have no images here)", Assert.Single(someNotes));
    }

    [Fact]
    public void NamesNoneOfWhichIsTheModelsAreMatchedByPositionWithANote()
    {
        var (toModel, notes) = Match("n01", "n02", "n03", "n04");
        Assert.Null(toModel);
        Assert.Contains("matching them by position", Assert.Single(notes));
        var refused = Assert.Throws<ArgumentException>(() => Match("n01", "n02"));
        Assert.Contains("spec has 2 classes (n01, n02), but the model of run/last.json has 4", refused.Message);
    }

    [Fact]
    public void AMixOfNamesOrANameTheModelHasTwiceIsRefused()
    {
        var mix = Assert.Throws<ArgumentException>(() => Match("cat", "dog", "emu", "owl"));
        Assert.Contains("1 of its 4 classes are not among the model's in run/last.json (emu)", mix.Message);
        var twice = Assert.Throws<ArgumentException>(() => ClassMatch.ToModel(["b"], ["a", "b", "b"], "spec", "ck", _ => { }));
        Assert.Contains("'b' is the name of more than one", twice.Message);
    }

    [Fact]
    public void ADatasetIsRelabelledWithItsPixelsShared()
    {
        var data = new ImageDataset("d", 1, 1, 2, [1, 2, 3, 4, 5, 6], [0, 1, 0], ["owl", "cat"]);
        var matched = ClassMatch.ForModel(data, Model, "spec", "ck", _ => { });
        Assert.Equal(Model, matched.ClassNames);
        Assert.Equal([3, 0, 3], matched.Labels.ToArray());
        Assert.Equal(data.Pixels.ToArray(), matched.Pixels.ToArray());
        Assert.Same(data, ClassMatch.ForModel(data, ["owl", "cat"], "spec", "ck", _ => { }));
    }

    [Fact]
    public void ADatasetWhoseNamesAreFixedIsMatchedByPositionWhenSomeNamesDiffer()
    {
        // cifar10's names against an import named as PyTorch's tutorial names them: 8 of 10 agree.
        string[] tutorial = ["plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];
        var notes = new List<string>();
        Assert.Null(ClassMatch.ToModel(ClassNames.Cifar10, tutorial, "cifar10", "ck", notes.Add, namesFixed: true));
        Assert.Contains("2 of its class names (airplane, automobile) are not the model's; matching them all by position", Assert.Single(notes));
        // Folders can be renamed: the same mix is refused there.
        Assert.Throws<ArgumentException>(() => ClassMatch.ToModel(ClassNames.Cifar10, tutorial, "folder:x", "ck", _ => { }));
    }
}
