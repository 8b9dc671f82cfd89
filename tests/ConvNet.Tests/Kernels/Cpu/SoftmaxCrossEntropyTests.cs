// The float softmax cross-entropy kernel (through CrossEntropyLoss) against the double reference, including huge logits
// and label smoothing.
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

    [Theory]
    [InlineData(5, 10, 3.0, 0.1)]
    [InlineData(3, 1000, 5.0, 0.3)]
    [InlineData(2, 2, 1.0, 0.9)]
    [InlineData(4, 7, 1e4, 0.1)]
    public void Label_smoothing_matches_reference(int batch, int classes, double scale, float smoothing)
    {
        var rng = new Rng(808);
        var z = TestData.Uniform(rng, batch * classes, -scale, scale);
        var labels = Enumerable.Range(0, batch).Select(_ => rng.NextInt(classes)).ToArray();
        var loss = new CrossEntropyLoss(smoothing);
        float value = loss.Forward(TestData.Tensor(z, batch, classes), labels);
        var dz = loss.Backward(labels);

        Close.Scalar(SoftmaxCrossEntropyReference.Forward(z, labels, batch, classes, smoothing), value, 1e-5, "loss");
        Close.All(SoftmaxCrossEntropyReference.Backward(z, labels, batch, classes, smoothing), dz.Span, 1e-5, 1e-5, "dLogits");
        // Each row's gradient still sums to zero: the target is a distribution.
        for (int n = 0; n < batch; n++) Assert.True(Math.Abs(dz.Span.Slice(n * classes, classes).ToArray().Sum()) < 1e-5f, $"row {n}");
    }

    [Fact]
    public void Label_smoothing_with_logits_spanning_more_than_floats_range_stays_finite()
    {
        // z[label] - z[other] = 4e38 overflows a float; the smoothed loss (about 0.1 / 2 x 4e38) fits in one.
        var loss = new CrossEntropyLoss(0.1f);
        float value = loss.Forward(ConvNet.Tensors.Tensor.FromArray([2e38f, -2e38f], 1, 2), [0]);
        Assert.True(float.IsFinite(value), $"loss {value}");
        Assert.Equal(0.05 * 4e38, value, 0.001 * 4e38);
    }

    [Fact]
    public void Label_smoothing_values_match_hand_computed_ones()
    {
        // Logits [0, ln 3]: p = [1/4, 3/4]; label 1, e = 0.2: q = [0.1, 0.9].
        var loss = new CrossEntropyLoss(0.2f);
        float value = loss.Forward(ConvNet.Tensors.Tensor.FromArray([0f, MathF.Log(3f)], 1, 2), [1]);
        Assert.Equal(-(0.1 * Math.Log(0.25) + 0.9 * Math.Log(0.75)), value, 5);
        var dz = loss.Backward([1]).ToArray();
        Assert.Equal(0.25 - 0.1, dz[0], 5);
        Assert.Equal(0.75 - 0.9, dz[1], 5);
    }

    [Theory]
    [InlineData(-0.1f)]
    [InlineData(1f)]
    [InlineData(float.NaN)]
    public void Label_smoothing_outside_zero_to_one_is_refused(float smoothing)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropyLoss(smoothing));
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
