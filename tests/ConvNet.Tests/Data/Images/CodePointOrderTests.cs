// Class folders sort as Python's sorted() sorts them (torchvision's ImageFolder), so a class has the same index in
// both: .NET's ordinal order put a name above U+FFFF (an emoji) before U+E000-U+FFFF (a full-width letter).
using ConvNet.Data.Images;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Data.Images;

public sealed class CodePointOrderTests
{
    // sorted(['\uff21', '\U0001F600', 'a', '\ue000', 'z', 'ab']) in Python 3.
    private static readonly string[] PythonOrder = ["a", "ab", "z", "\uE000", "\uFF21", "\U0001F600"];

    [Fact]
    public void StringsSortAsPythonSortsThem()
    {
        string[] shuffled = [PythonOrder[5], PythonOrder[2], PythonOrder[4], PythonOrder[0], PythonOrder[3], PythonOrder[1]];
        Assert.Equal(PythonOrder, shuffled.Order(CodePointOrder.Instance));
        Assert.NotEqual(PythonOrder, shuffled.Order(StringComparer.Ordinal)); // what the folder order was
    }

    [Fact]
    public void ClassFoldersAreNumberedInPythonsOrder()
    {
        using var temp = new TempDirectory();
        foreach (string name in new[] { "\U0001F600", "\uFF21", "a" })
            TinyImages.WriteBar(Path.Combine(Directory.CreateDirectory(temp.Combine("data", name)).FullName, "1.png"), 4);
        var set = ImageFolder.Read(temp.Combine("data"), "data");
        Assert.Equal(["a", "\uFF21", "\U0001F600"], set.ClassNames);
    }
}
