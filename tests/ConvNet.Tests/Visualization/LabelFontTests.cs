// Pass 17: class names the label font cannot draw were drawn as empty boxes without a word (a CJK name, a tab in a
// folder name), and a Hebrew name in storage order; docs/figures.md promises labels are never dropped silently.
using ConvNet.Visualization;
using SkiaSharp;

namespace ConvNet.Tests.Visualization;

public sealed class LabelFontTests
{
    private static SKTypeface Font => LabelFont.Typeface ?? throw new InvalidOperationException(LabelFont.MissingMessage); // .ci/run installs it

    [Fact]
    public void ControlCharactersAreWrittenAsEscapes()
    {
        Assert.Equal("tab\\there", LabelFont.Printable("tab\there"));
        Assert.Equal("line1\\nline2\\r", LabelFont.Printable("line1\nline2\r"));
        Assert.Equal("bell\\u0007", LabelFont.Printable("bell\u0007"));
        Assert.Equal("a&b \"q\" 's' שלום 中文", LabelFont.Printable("a&b \"q\" 's' שלום 中文"));
    }

    [Fact]
    public void NamesTheFontCannotDrawAndRightToLeftNamesAreNoted()
    {
        var notes = LabelFont.Notes(Font, ["plain", "中文类别名", "tab\there", "שלום עולם", "plain"]);
        Assert.Equal(2, notes.Count);
        Assert.Contains("has no glyph for characters of 1 of the class names, drawn as empty boxes: \"中文类别名\" (中文类别名)", notes[0]);
        Assert.Contains(LabelFont.EnvironmentVariable, notes[0]);
        Assert.DoesNotContain("plain", notes[0]);
        Assert.DoesNotContain("tab", notes[0]); // written as \t, which every font has
        Assert.Contains("1 of the class names in a right-to-left script is drawn left to right", notes[1]);
        Assert.Contains("\"שלום עולם\"", notes[1]);
        Assert.Empty(LabelFont.Notes(Font, ["T-shirt/top", "Ankle boot", "a&b \"q\""]));
        Assert.Empty(LabelFont.Notes(null, ["中文"])); // no font: no text at all, which MissingMessage says
    }

    [Fact]
    public void ManyUndrawableNamesAreCountedNotAllListed()
    {
        var names = Enumerable.Range(0, 8).Select(i => $"类{i}").ToList();
        string note = Assert.Single(LabelFont.Notes(Font, names));
        Assert.Contains("8 of the class names", note);
        Assert.Contains("and 3 more", note);
    }

    [Fact]
    public void TheConfusionMatrixWritesATabAsAnEscapeAndNotesWhatItCannotDraw()
    {
        long[] confusion = [3, 1, 0, 4];
        var tab = new ConfusionHeatmap(confusion, ["tab\there", "中文"], "title", Font, cellSize: 40);
        var escaped = new ConfusionHeatmap(confusion, ["tab\\there", "中文"], "title", Font, cellSize: 40);
        using var drawn = tab.Render(Font);
        using var expected = escaped.Render(Font);
        Assert.Equal((expected.Width, expected.Height), (drawn.Width, drawn.Height));
        Assert.Equal(expected.Bytes, drawn.Bytes); // the tab's row label reads "tab\there", not "tab", a box and "here"
        Assert.Contains("\"中文\"", Assert.Single(tab.LabelNotes));
        Assert.Empty(new ConfusionHeatmap(confusion, ["a", "b"], "title", Font, cellSize: 40).LabelNotes);
    }

    [Fact]
    public void PredictionSheetsWriteATabInAClassNameAsAnEscapeToo()
    {
        var picture = new ConvNet.Inspection.Picture(1, 2, 2, [0, 64, 128, 255]);
        PredictionSheet Sheet(string name) => new([new PredictionEntry(picture, "a.png", TrueClass: 0, [(0, 0.75f), (1, 0.25f)])], [name, "other"]);
        using var drawn = Sheet("tab\there").Render(Font);
        using var expected = Sheet("tab\\there").Render(Font);
        Assert.Equal(expected.Bytes, drawn.Bytes);
    }
}
