// Issue 12 items 3, 4, 6, 7 at pixel level: a known confusion matrix gives known cell colours, a known picture and
// probabilities give known image pixels and bar lengths, neighbour sheets put pictures where they promise, and an
// activation map gives known grey levels; sizes are the ones the layouts promise.
using ConvNet.Inspection;
using ConvNet.Visualization;
using SkiaSharp;

namespace ConvNet.Tests.Visualization;

public sealed class InspectionFigureTests
{
    private static SKColor Centre(SKBitmap b, SKRectI r) => b.GetPixel(r.MidX, r.MidY);

    [Fact]
    public void ConfusionCellsHaveTheirRowNormalisedColour()
    {
        long[] confusion = [8, 2, 0, 0, 5, 5, 0, 0, 0];
        var heatmap = new ConfusionHeatmap(confusion, ["a", "b", "c"], "t", typeface: null, cellSize: 20);
        using var bitmap = heatmap.Render(null);
        Assert.Equal((heatmap.Width, heatmap.Height), (bitmap.Width, bitmap.Height));
        Assert.Equal(ConfusionHeatmap.HeatColour(0.8), Centre(bitmap, heatmap.Cell(0, 0)));
        Assert.Equal(ConfusionHeatmap.HeatColour(0.2), Centre(bitmap, heatmap.Cell(0, 1)));
        Assert.Equal(ConfusionHeatmap.HeatColour(0.5), Centre(bitmap, heatmap.Cell(1, 2)));
        Assert.Equal(SKColors.White, Centre(bitmap, heatmap.Cell(2, 2))); // a class without images: 0, not NaN
        Assert.Equal(SKColors.White, ConfusionHeatmap.HeatColour(0));
        Assert.Equal(ConfusionHeatmap.Hot, ConfusionHeatmap.HeatColour(1));
        Assert.Equal(new SKColor(107, 131, 166), ConfusionHeatmap.HeatColour(0.6)); // 255 + (8 - 255) * 0.6 = 106.8, etc., rounded
    }

    [Fact]
    public void ConfusionWithLabelsIsWiderAndKeepsItsCells()
    {
        var typeface = LabelFont.Typeface ?? throw new InvalidOperationException(LabelFont.MissingMessage); // .ci/run installs the font
        long[] confusion = [3, 1, 0, 4];
        var heatmap = new ConfusionHeatmap(confusion, ["T-shirt/top", "Trouser"], "title", typeface, cellSize: 40);
        using var bitmap = heatmap.Render(typeface);
        Assert.True(heatmap.Left > ConfusionHeatmap.Margin + 40, "row labels take room on the left");
        // Corners of the cells (text is drawn in the middle): the row-normalised colour.
        var cell = heatmap.Cell(0, 0);
        Assert.Equal(ConfusionHeatmap.HeatColour(0.75), bitmap.GetPixel(cell.Left + 1, cell.Top + 1));
        cell = heatmap.Cell(1, 1);
        Assert.Equal(ConfusionHeatmap.HeatColour(1), bitmap.GetPixel(cell.Left + 1, cell.Top + 1));
    }

    [Fact]
    public void ALongClassNameIsCutBeforeTheProbabilityNotThroughIt()
    {
        // "Chesapeake Bay retriever  1…": the label was cut at its end, so the number went first (pass 47). The
        // probability's end of the bar now looks the same whatever the name's length.
        var typeface = LabelFont.Typeface ?? throw new InvalidOperationException(LabelFont.MissingMessage);
        var picture = new Picture(1, 4, 4, new byte[16]);
        PredictionSheet Sheet(string name) => new([new PredictionEntry(picture, "a.png", TrueClass: -1, [(0, 0.473f), (1, 0.2f)])], [name, "b"], columns: 1);
        using var shortName = Sheet("tench").Render(typeface);
        using var longName = Sheet("American Staffordshire terrier").Render(typeface);
        var track = Sheet("tench").BarTrackRect(0, 0);
        int differing = 0, dark = 0;
        for (int y = track.Top; y < track.Bottom; y++)
            for (int x = track.Right - 40; x < track.Right; x++)
            {
                if (shortName.GetPixel(x, y) != longName.GetPixel(x, y)) differing++;
                if (shortName.GetPixel(x, y).Red < 100) dark++;
            }
        Assert.Equal(0, differing);
        Assert.True(dark > 10, "the probability is drawn at the bar's right end");
    }

    [Fact]
    public void PredictionSheetDrawsThePicturePixelSharpAndBarsToScale()
    {
        // A 4x4 grey picture: value 16 * (y * 4 + x); drawn at 40 pixels per pixel in the 160-pixel square.
        var pixels = Enumerable.Range(0, 16).Select(i => (byte)(16 * i)).ToArray();
        var picture = new Picture(1, 4, 4, pixels);
        var entries = new[]
        {
            new PredictionEntry(picture, "a.png", TrueClass: 1, [(0, 0.5f), (1, 0.25f), (2, 0.125f)]),
            new PredictionEntry(picture, "b.png", TrueClass: -1, [(2, 1f), (0, 0f), (1, 0f)]),
        };
        var sheet = new PredictionSheet(entries, ["zero", "one", "two"], columns: 4);
        using var bitmap = sheet.Render(null);
        Assert.Equal((2 * PredictionSheet.TileWidth, sheet.TileHeight), (bitmap.Width, bitmap.Height));
        var image = sheet.ImageRect(0);
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++)
            {
                byte v = pixels[y * 4 + x];
                Assert.Equal(new SKColor(v, v, v, 255), bitmap.GetPixel(image.Left + x * 40 + 20, image.Top + y * 40 + 20));
            }
        // Bar 0 (p 0.5) of image 0 is not the true class: OtherBar for half the track; bar 1 is the true class: red.
        var track = sheet.BarTrackRect(0, 0);
        int half = PredictionSheet.BarLength(0.5f, track.Width);
        Assert.Equal(PredictionSheet.OtherBar, bitmap.GetPixel(track.Left + half - 1, track.MidY));
        Assert.Equal(PredictionSheet.BarTrack, bitmap.GetPixel(track.Left + half, track.MidY));
        track = sheet.BarTrackRect(0, 1);
        int quarter = PredictionSheet.BarLength(0.25f, track.Width);
        Assert.Equal(PredictionSheet.TrueBar, bitmap.GetPixel(track.Left + quarter - 1, track.MidY));
        Assert.Equal(PredictionSheet.BarTrack, bitmap.GetPixel(track.Left + quarter, track.MidY));
        // Image 1 (class unknown): no red bar anywhere, its full-probability bar fills the track.
        track = sheet.BarTrackRect(1, 0);
        Assert.Equal(PredictionSheet.OtherBar, bitmap.GetPixel(track.Right - 1, track.MidY));
    }

    [Fact]
    public void TheTrueClassIsMarkedAtZeroPercentAndItsLabelIsReadableOnItsBar()
    {
        var typeface = LabelFont.Typeface ?? throw new InvalidOperationException(LabelFont.MissingMessage);
        var picture = new Picture(1, 1, 1, [0]);
        var entries = new[]
        {
            new PredictionEntry(picture, "right.png", TrueClass: 0, [(0, 1f), (1, 0f)]),
            new PredictionEntry(picture, "wrong.png", TrueClass: 1, [(0, 1f), (1, 0f)]),
        };
        var sheet = new PredictionSheet(entries, ["zero", "one"], columns: 2);
        using var bitmap = sheet.Render(typeface);
        // A full red bar: its label's pixels are dark, not red on red.
        var track = sheet.BarTrackRect(0, 0);
        int dark = 0;
        for (int y = track.Top; y < track.Bottom; y++)
            for (int x = track.Left; x < track.Right; x++)
                if (bitmap.GetPixel(x, y) is { Red: < 100, Green: < 100, Blue: < 100 }) dark++;
        Assert.True(dark > 20, $"{dark} dark pixels: the true class's label is not readable on its bar");
        // A 0.0 % true bar: its track's right end is outlined in red.
        track = sheet.BarTrackRect(1, 1);
        Assert.Equal(PredictionSheet.TrueBar, bitmap.GetPixel(track.Right - 1, track.MidY));
        Assert.Equal(PredictionSheet.BarTrack, bitmap.GetPixel(track.Right - 2, track.MidY));
        // Another class's track is not outlined: its full bar reaches the edge in blue.
        var other = sheet.BarTrackRect(1, 0);
        Assert.Equal(PredictionSheet.OtherBar, bitmap.GetPixel(other.Right - 1, other.MidY));
    }

    [Fact]
    public void ColourPicturesKeepTheirChannels()
    {
        // 1x1 RGB picture (10, 20, 30) drawn into a tile.
        var sheet = new NeighbourSheet([new NeighbourRow(new Picture(3, 1, 1, [10, 20, 30]), "q",
            [(new Picture(3, 2, 2, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), "n", 1.5f)])], "t");
        using var bitmap = sheet.Render(null);
        Assert.Equal(sheet.Size(null), (bitmap.Width, bitmap.Height));
        var (qx, qy) = sheet.ImageOrigin(0, 0, null);
        Assert.Equal(new SKColor(10, 20, 30, 255), bitmap.GetPixel(qx + NeighbourSheet.ImageSize / 2, qy + NeighbourSheet.ImageSize / 2));
        var (nx, ny) = sheet.ImageOrigin(0, 1, null);
        Assert.Equal(new SKColor(4, 8, 12, 255), bitmap.GetPixel(nx + NeighbourSheet.ImageSize - 5, ny + NeighbourSheet.ImageSize - 5)); // pixel (1, 1)
        Assert.Equal(new SKColor(1, 5, 9, 255), bitmap.GetPixel(nx + 5, ny + 5)); // pixel (0, 0)
    }

    [Fact]
    public void OneByOneMapsShareTheirLayersScale()
    {
        // Each on its own scale, 0.011 and 0.871 were both white (pass 47).
        var panel = new ActivationPanel("pool5 (test) 3x1x1", 3, 1, 1, [0.011f, 0.871f, 0f], IsVector: false);
        var walk = new ActivationWalk(new Picture(1, 1, 1, [7]), "t", [panel]);
        using var bitmap = walk.Render(null);
        byte Grey(int channel) { var (x, y) = walk.MapOrigin(0, channel); return bitmap.GetPixel(x + 1, y + 1).Red; }
        Assert.Equal([3, 255, 0], new[] { Grey(0), Grey(1), Grey(2) });
    }

    [Fact]
    public void ActivationMapsBecomeKnownGreyLevels()
    {
        Assert.Equal([0, 128, 255], ActivationWalk.MapGrey([0f, 1f, 2f]));
        Assert.Equal([0, 0], ActivationWalk.MapGrey([0f, 0f])); // a dead map is black
        Assert.Equal([0, 128, 255], ActivationWalk.MapGrey([-2f, 0f, 2f]));
        Assert.Equal([0, 128, 255, 0], ActivationWalk.MapGrey([0f, 1f, 2f, float.NaN])); // a NaN is black, the rest as without it
        // One panel of two 2x2 maps at 28 pixels per value (TargetTile 56 / 2).
        var panel = new ActivationPanel("conv (test) 2x2x2", 2, 2, 2, [0, 1, 2, 4, 5, 5, 5, 5], IsVector: false);
        var walk = new ActivationWalk(new Picture(1, 1, 1, [7]), "t", [panel, new ActivationPanel("fc 3", 1, 1, 3, [1, -1, 0.5f], IsVector: true)]);
        Assert.Equal(28, ActivationWalk.MapScale(panel));
        using var bitmap = walk.Render(null);
        Assert.Equal((walk.Width, walk.Height), (bitmap.Width, bitmap.Height));
        var (x, y) = walk.MapOrigin(0, 0);
        byte[] expected = [0, 64, 128, 255];
        for (int i = 0; i < 4; i++)
        {
            byte g = expected[i];
            Assert.Equal(new SKColor(g, g, g, 255), bitmap.GetPixel(x + i % 2 * 28 + 14, y + i / 2 * 28 + 14));
        }
        var (x2, y2) = walk.MapOrigin(0, 1);
        Assert.Equal(x + 57, x2); // one separator pixel between tiles
        Assert.Equal(new SKColor(255, 255, 255, 255), bitmap.GetPixel(x2 + 14, y2 + 14)); // a constant positive map is white
        Assert.Equal(ActivationWalk.TileBackground, bitmap.GetPixel(x - 1, y + 3));
    }

    [Fact]
    public void TheClassScoresCarryTheirClassNamesUnderTheBars()
    {
        var typeface = LabelFont.Typeface ?? throw new InvalidOperationException(LabelFont.MissingMessage);
        var scores = new ActivationPanel("fc8 (Linear)  3", 1, 1, 3, [2f, -1f, 0.5f], IsVector: true, ["cat", "dog", "boot"]);
        var plain = scores with { BarNames = null };
        Assert.Equal(ActivationWalk.ContentHeight(plain) + ActivationWalk.NameBand, ActivationWalk.ContentHeight(scores));
        var walk = new ActivationWalk(new Picture(1, 1, 1, [7]), "t", [scores]);
        using var bitmap = walk.Render(typeface);
        int band = walk.PanelTop(0) + ActivationWalk.VectorHeight, inked = 0;
        for (int y = band; y < band + ActivationWalk.NameBand; y++)
            for (int x = 0; x < bitmap.Width; x++)
                if (bitmap.GetPixel(x, y).Red < 200) inked++;
        Assert.True(inked > 20, $"{inked} dark pixels under the bars: no class names");
    }
}
