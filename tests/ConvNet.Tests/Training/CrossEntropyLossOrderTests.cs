// CrossEntropyLoss.Backward reads what Forward computed: before any Forward it threw a NullReferenceException, with the
// wrong number of labels an IndexOutOfRangeException (or, with more labels than samples, ignored the extra ones), and
// with a label no class has it returned the gradient of a target of "other" classes only, without a word.
using ConvNet.Tensors;
using ConvNet.Training;

namespace ConvNet.Tests.Training;

public sealed class CrossEntropyLossOrderTests
{
    private static Tensor Logits() => Tensor.FromArray([1, 2, 3, 4, 5, 6, 7, 8], 2, 4);

    [Fact]
    public void BackwardBeforeAnyForwardIsRefused() =>
        Assert.Contains("Backward needs a Forward first", Assert.Throws<InvalidOperationException>(() => new CrossEntropyLoss().Backward([0, 1])).Message);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void BackwardWithAnotherNumberOfLabelsNamesBothCounts(int labels)
    {
        var loss = new CrossEntropyLoss();
        loss.Forward(Logits(), [0, 1]);
        var e = Assert.Throws<ArgumentException>(() => loss.Backward(new int[labels]));
        Assert.Equal("labels", e.ParamName);
        Assert.Contains($"given {labels} labels, the last Forward had 2 samples", e.Message);
    }

    [Fact]
    public void BackwardWithALabelNoClassHasIsRefused()
    {
        var loss = new CrossEntropyLoss();
        loss.Forward(Logits(), [0, 1]);
        Assert.Contains("label 4 of sample 1 is outside [0, 4)", Assert.Throws<ArgumentException>(() => loss.Backward([0, 4])).Message);
        Assert.Equal(2 * 4, loss.Backward([0, 3]).Length);
    }
}
