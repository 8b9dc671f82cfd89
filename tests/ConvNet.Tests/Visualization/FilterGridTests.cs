// Issue 12 item 1: the filter grid (the paper's Figure 3) at pixel level: known kernels map to known pixel values at
// known positions, separators surround every cell, the size is the one the layout promises, grey for 1 channel,
// RGB for 3, one grey slice per input channel for deeper layers, and labelled blocks per group / GPU half.
using ConvNet.Layers;
using ConvNet.Models;
using ConvNet.Visualization;
using SkiaSharp;

namespace ConvNet.Tests.Visualization;

public sealed class FilterGridTests
{
    private static SKColor At(SKBitmap b, int x, int y) => b.GetPixel(x, y);

    private static void AssertGrey(SKBitmap b, int x, int y, byte value) =>
        Assert.Equal(new SKColor(value, value, value, 255), At(b, x, y));

    [Fact]
    public void GreyKernelMapsToKnownPixelsWithSeparators()
    {
        // Two 1-channel 2x2 filters: the first spans -1..3, the second is constant.
        float[] weights = [-1, 0, 1, 3, 5, 5, 5, 5];
        var grid = new FilterGrid("k", weights, 2, 1, 2, [new FilterBlock("all", 0, 2)], scale: 3);
        Assert.Equal(FilterMode.Grey, grid.Mode);
        using var bitmap = grid.Render(typeface: null);
        // One row of two 6x6 cells, a 1-pixel separator around each: 1 + 2 * 7 = 15 across, 1 + 7 = 8 down.
        Assert.Equal((15, 8), (bitmap.Width, bitmap.Height));
        byte[] expected = [0, 64, 128, 255]; // (w - min) / (max - min) * 255, rounded
        for (int ky = 0; ky < 2; ky++)
            for (int kx = 0; kx < 2; kx++)
                for (int d = 0; d < 3; d++)
                {
                    AssertGrey(bitmap, 1 + kx * 3 + d, 1 + ky * 3 + d, expected[ky * 2 + kx]);
                    AssertGrey(bitmap, 8 + kx * 3 + d, 1 + ky * 3 + d, 128); // constant filter: mid-grey
                }
        foreach (int x in new[] { 0, 7, 14 })
            for (int y = 0; y < 8; y++) Assert.Equal(FilterGrid.SeparatorColor, At(bitmap, x, y));
        for (int x = 0; x < 15; x++)
        {
            Assert.Equal(FilterGrid.SeparatorColor, At(bitmap, x, 0));
            Assert.Equal(FilterGrid.SeparatorColor, At(bitmap, x, 7));
        }
        Assert.NotEqual(FilterGrid.SeparatorColor.Red, FilterGrid.SeparatorColor.Blue); // never mistaken for a grey weight
    }

    [Theory]
    [InlineData(false, 0, 128, 255)]
    [InlineData(true, 255, 128, 0)] // a BGR (Caffe) model's channels turned back to RGB
    public void ThreeChannelKernelIsDrawnInColour(bool bgr, byte r, byte g, byte b)
    {
        // One 3-channel 1x1 filter with channel values 0, 1, 2: normalised over the whole filter to 0, 128, 255.
        var grid = new FilterGrid("k", [0f, 1f, 2f], 1, 3, 1, [new FilterBlock("all", 0, 1)], scale: 4, bgr: bgr);
        Assert.Equal(FilterMode.Rgb, grid.Mode);
        using var bitmap = grid.Render(null);
        Assert.Equal((6, 6), (bitmap.Width, bitmap.Height));
        for (int y = 1; y < 5; y++)
            for (int x = 1; x < 5; x++) Assert.Equal(new SKColor(r, g, b, 255), At(bitmap, x, y));
    }

    [Fact]
    public void DeeperLayersAreOneGreySlicePerInputChannel()
    {
        // Two filters of 4 input channels, 1x1: filter 0 = 0,1,2,3 (slices 0, 85, 170, 255); filter 1 = 3,2,1,0.
        var grid = new FilterGrid("k", [0, 1, 2, 3, 3, 2, 1, 0], 2, 4, 1, [new FilterBlock("all", 0, 2)], scale: 2);
        Assert.Equal(FilterMode.Slices, grid.Mode);
        using var bitmap = grid.Render(null);
        // A row per filter, a column per input channel: 1 + 4 * 3 across, 1 + 2 * 3 down.
        Assert.Equal((13, 7), (bitmap.Width, bitmap.Height));
        byte[] levels = [0, 85, 170, 255];
        for (int s = 0; s < 4; s++)
        {
            AssertGrey(bitmap, 1 + 3 * s, 1, levels[s]);
            AssertGrey(bitmap, 2 + 3 * s, 2, levels[s]);
            AssertGrey(bitmap, 1 + 3 * s, 4, levels[3 - s]);
            Assert.Equal(FilterGrid.SeparatorColor, At(bitmap, 3 * s, 1));
        }
        Assert.Equal(FilterGrid.SeparatorColor, At(bitmap, 1, 3)); // between the two filters' rows
    }

    [Fact]
    public void PaperConv1IsTwoLabelledHalvesOf48InColour()
    {
        var conv1 = new Conv2d("conv1", 3, 96, 11, 4);
        var blocks = FilterGrid.BlocksFor(conv1, twoTower: true);
        Assert.Equal(2, blocks.Count);
        Assert.Equal((0, 48), (blocks[0].FirstFilter, blocks[0].FilterCount));
        Assert.Equal((48, 48), (blocks[1].FirstFilter, blocks[1].FilterCount));
        Assert.Contains("GPU 1", blocks[0].Label);
        Assert.Contains("GPU 2", blocks[1].Label);
        Assert.Contains("filters 49-96", blocks[1].Label);
        var grid = new FilterGrid("conv1", new float[96 * 3 * 11 * 11], 96, 3, 11, blocks);
        Assert.Equal(FilterMode.Rgb, grid.Mode);
        Assert.Equal(3, grid.Scale); // 11 weights -> 33 pixels
        // Each half: 16 columns x 3 rows of 33-pixel cells: 1 + 16 * 34 = 545 across, 1 + 3 * 34 = 103 down.
        Assert.Equal((545, 206), grid.Size(null));
        Assert.Equal((1 + 34 * 15, 103 + 1 + 34 * 2), grid.CellOrigin(95, labels: false));
        Assert.Equal((1, 103 + FilterGrid.LabelHeight * 2 + 1), grid.CellOrigin(48, labels: true));
    }

    [Fact]
    public void GroupedLayerHasOneBlockPerGroupAndPlainModelsOne()
    {
        var conv2 = new Conv2d("conv2", 96, 256, 5, padding: 2, groups: 2);
        var blocks = FilterGrid.BlocksFor(conv2, twoTower: true);
        Assert.Equal(2, blocks.Count);
        Assert.Contains("group 2", blocks[1].Label);
        Assert.Contains("inputs 49-96", blocks[1].Label);
        Assert.Single(FilterGrid.BlocksFor(new Conv2d("conv1", 3, 64, 11, 4, 2), twoTower: false)); // torchvision's layout
    }

    [Fact]
    public void ForLayerFindsConvolutionsAndRefusesOtherLayers()
    {
        var network = NetworkBuilder.Build(ModelRegistry.Spec("alexnet-small", new ModelOptions(10)));
        var conv1 = FilterGrid.ForLayer(network, "conv1");
        Assert.Equal((32, 1, 5, FilterMode.Grey, 2), (conv1.Filters, conv1.InputChannels, conv1.Kernel, conv1.Mode, conv1.Blocks.Count));
        var conv2 = FilterGrid.ForLayer(network, "conv2");
        Assert.Equal((64, 16, FilterMode.Slices), (conv2.Filters, conv2.InputChannels, conv2.Mode));
        var unknown = Assert.Throws<ArgumentException>(() => FilterGrid.ForLayer(network, "conv9"));
        Assert.Contains("conv1, conv2, conv3, conv4, conv5", unknown.Message);
        var linear = Assert.Throws<ArgumentException>(() => FilterGrid.ForLayer(network, "fc6"));
        Assert.Contains("not a convolution", linear.Message);
    }

    [Fact]
    public void LabelsAreDrawnAsTextAboveEachBlock()
    {
        var typeface = LabelFont.Typeface;
        Assert.True(typeface is not null, "no font file for labels: install fonts-dejavu-core (.ci/run does) or set CONVNET_FONT");
        var grid = new FilterGrid("k", new float[4 * 4], 4, 1, 2, [new FilterBlock("GPU 1 half", 0, 2), new FilterBlock("GPU 2 half", 2, 2)], scale: 2);
        using var bitmap = grid.Render(typeface);
        var (width, height) = grid.Size(typeface);
        Assert.Equal((width, height), (bitmap.Width, bitmap.Height));
        Assert.Equal(2 * (FilterGrid.LabelHeight + 6), height);
        Assert.True(width > 50, "the image is widened to hold its labels");
        foreach (int top in new[] { 0, FilterGrid.LabelHeight + 6 })
        {
            int dark = 0;
            for (int y = top; y < top + FilterGrid.LabelHeight; y++)
                for (int x = 0; x < width; x++)
                    if (At(bitmap, x, y).Red < 100) dark++;
            Assert.True(dark > 30, $"the label band at y={top} has {dark} dark pixels: no text was drawn");
        }
        Assert.Equal(FilterGrid.SeparatorColor, At(bitmap, 0, FilterGrid.LabelHeight)); // the grid starts below its label
    }
}
