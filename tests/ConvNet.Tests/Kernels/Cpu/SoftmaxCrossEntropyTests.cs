// The float softmax cross-entropy kernel (through CrossEntropyLoss) against the double reference, including huge logits.
using ConvNet.Kernels.Cpu.Reference;
using ConvNet.Random;
using ConvNet.Tests.Support;
using ConvNet.Training;

namespace ConvNet.Tests.Kernels.Cpu;

public sealed class SoftmaxCrossEntropyTests
{
    [Theory]
    [InlineData(2, 1000, 5.0)]
    [InlineData(8, 5, 3.0)]
    [InlineData(3, 1, 1.0)]
    [InlineData(4, 10, 1e4)]   // exp would overflow without the max subtraction
    [InlineData(2, 7, 1e30)]
    public void Matches_reference(int batch, int classes, double scale)
    {
        var rng = new Rng(707);
        var z = TestData.Uniform(rng, batch * classes, -scale, scale);
        var labels = Enumerable.Range(0, batch).Select(_ => rng.NextInt(classes)).ToArray();
        var loss = new CrossEntropyLoss();
        float value = loss.Forward(TestData.Tensor(z, batch, classes), labels);
        var dz = loss.Backward(labels);

        Assert.True(float.IsFinite(value), $"loss {value}");
        Assert.All(dz.ToArray(), v => Assert.True(float.IsFinite(v)));
        Close.Scalar(SoftmaxCrossEntropyReference.Forward(z, labels, batch, classes), value, 1e-5, "loss");
        Close.All(SoftmaxCrossEntropyReference.Backward(z, labels, batch, classes), dz.Span, 1e-5, 1e-5, "dLogits");
    }

    [Fact]
    public void Huge_logit_on_the_label_gives_zero_loss_not_NaN()
    {
        var loss = new CrossEntropyLoss();
        float value = loss.Forward(ConvNet.Tensors.Tensor.FromArray([3e38f, -3e38f, 0f], 1, 3), [0]);
        Assert.Equal(0f, value);
        Assert.Equal([0f, 0f, 0f], loss.Backward([0]).ToArray());
    }

    [Fact]
    public void Label_outside_the_classes_is_rejected()
    {
        var loss = new CrossEntropyLoss();
        var e = Assert.Throws<ArgumentException>(() => loss.Forward(ConvNet.Tensors.Tensor.FromArray([1f, 2f], 1, 2), [2]));
        Assert.Contains("label 2", e.Message);
    }
}
