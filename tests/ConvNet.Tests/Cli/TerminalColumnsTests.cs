// Table columns are padded by the columns a name takes in a terminal, not by its UTF-16 length.
using ConvNet.Cli.Commands;
using ConvNet.Diagnostics;
using ConvNet.Models;

namespace ConvNet.Tests.Cli;

public class TerminalColumnsTests
{
    [Theory]
    [InlineData("cat", 3)]
    [InlineData("猫", 2)]                 // CJK ideograph: wide
    [InlineData("ねこ", 4)]               // Hiragana
    [InlineData("고양이", 6)]             // Hangul syllables
    [InlineData("ＡＢ", 4)]               // fullwidth Latin
    [InlineData("café", 4)]               // é as one code point
    [InlineData("cafe\u0301", 4)]         // e + combining acute accent: the accent takes no column
    [InlineData("\U0001F408", 2)]         // an emoji: two UTF-16 units, two columns
    [InlineData("\U0001F680", 2)]         // a rocket (transport and map symbols)
    [InlineData("a\u200Db", 2)]           // zero-width joiner
    [InlineData("", 0)]
    public void WidthCountsTerminalColumns(string text, int columns) => Assert.Equal(columns, TerminalColumns.Width(text));

    [Fact]
    public void PadRightFillsToTheColumnsAndLeavesWideTextAlone()
    {
        Assert.Equal("猫猫  ", TerminalColumns.PadRight("猫猫", 6));
        Assert.Equal("cafe\u0301  ", TerminalColumns.PadRight("cafe\u0301", 6));
        Assert.Equal("猫猫猫猫", TerminalColumns.PadRight("猫猫猫猫", 6));
    }

    [Fact]
    public void InfoColumnsLineUpUnderAWideLayerName()
    {
        var spec = new ModelSpec("m", [1, 4, 4], 2, [new FlattenSpec("展平"), new LinearSpec("全连接层", 2)]);
        string table = InfoCommand.ToTable(ModelSummary.Of(NetworkBuilder.Build(spec)));
        var rows = table.Split('\n').Where(l => l.Contains("Flatten") || l.Contains("Linear") || l.StartsWith("layer", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, rows.Count);
        // The kind column starts at the same terminal column in every row.
        var starts = rows.Select(r => TerminalColumns.Width(r[..r.IndexOfAny(['k', 'F', 'L'])])).Distinct().ToList();
        Assert.Single(starts);
    }
}
