// WindowOutput (the closed formula every layer uses) against the window-counting reference, and AlexNet's known sizes.
using ConvNet.Kernels.Cpu.Reference;
using ConvNet.Tensors;

namespace ConvNet.Tests.Tensors;

public sealed class ShapeMathTests
{
    [Fact]
    public void Window_output_matches_the_counting_reference_over_a_grid()
    {
        for (int input = 1; input <= 24; input++)
            for (int kernel = 1; kernel <= 6; kernel++)
                for (int stride = 1; stride <= 4; stride++)
                    for (int padding = 0; padding <= kernel / 2; padding++)
                        foreach (bool ceil in new[] { false, true })
                            Assert.True(
                                WindowReference.Count(input, kernel, stride, padding, ceil) == ShapeMath.WindowOutput(input, kernel, stride, padding, ceil),
                                $"input {input} kernel {kernel} stride {stride} padding {padding} ceil {ceil}: " +
                                $"reference {WindowReference.Count(input, kernel, stride, padding, ceil)}, WindowOutput {ShapeMath.WindowOutput(input, kernel, stride, padding, ceil)}");
    }

    [Theory]
    [InlineData(227, 11, 4, 0, false, 55)] // the paper's conv1
    [InlineData(224, 11, 4, 2, false, 55)] // torchvision's conv1
    [InlineData(224, 11, 4, 0, false, 54)] // why the paper's 224 needs 227 under floor rounding
    [InlineData(224, 11, 4, 0, true, 55)]  // ... or ceil rounding, as cuda-convnet
    [InlineData(55, 3, 2, 0, false, 27)]
    [InlineData(27, 3, 2, 0, false, 13)]
    [InlineData(13, 3, 2, 0, false, 6)]
    [InlineData(6, 3, 2, 0, true, 3)]      // ceil keeps a partial last window
    [InlineData(6, 3, 2, 0, false, 2)]
    [InlineData(5, 2, 2, 1, true, 3)]      // PyTorch: a last window starting in the right padding is dropped
    [InlineData(2, 5, 1, 1, false, 0)]     // kernel larger than the padded input
    public void Window_output_known_cases(int input, int kernel, int stride, int padding, bool ceil, int expected)
    {
        Assert.Equal(expected, ShapeMath.WindowOutput(input, kernel, stride, padding, ceil));
        Assert.Equal(expected, WindowReference.Count(input, kernel, stride, padding, ceil));
    }
}
