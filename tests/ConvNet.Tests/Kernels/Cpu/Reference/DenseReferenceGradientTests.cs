// Finite-difference checks of the reference linear layer, softmax cross-entropy, dropout (fixed mask) and ReLU.
using ConvNet.Kernels.Cpu.Reference;
using ConvNet.Random;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Kernels.Cpu.Reference;

public sealed class DenseReferenceGradientTests
{
    [Fact]
    public void Linear_gradients_match_finite_differences()
    {
        const int batch = 3, inF = 7, outF = 5;
        var rng = new Rng(17);
        var x = TestData.Uniform(rng, batch * inF);
        var w = TestData.Uniform(rng, outF * inF);
        var b = TestData.Uniform(rng, outF);
        var r = TestData.Uniform(rng, batch * outF);
        var (dx, dw, db) = LinearReference.Backward(x, w, r, batch, inF, outF);
        GradientCheck.Check("linear dX", v => GradientCheck.Project(LinearReference.Forward(v, w, b, batch, inF, outF), r), x, dx);
        GradientCheck.Check("linear dW", v => GradientCheck.Project(LinearReference.Forward(x, v, b, batch, inF, outF), r), w, dw);
        GradientCheck.Check("linear db", v => GradientCheck.Project(LinearReference.Forward(x, w, v, batch, inF, outF), r), b, db);
    }

    [Fact]
    public void Softmax_cross_entropy_gradient_matches_finite_differences()
    {
        const int batch = 4, classes = 6;
        var rng = new Rng(19);
        var z = TestData.Uniform(rng, batch * classes, -3, 3);
        int[] labels = [0, 5, 2, 2];
        var dz = SoftmaxCrossEntropyReference.Backward(z, labels, batch, classes);
        GradientCheck.Check("softmax-CE dZ", v => SoftmaxCrossEntropyReference.Forward(v, labels, batch, classes), z, dz);
    }

    [Fact]
    public void Softmax_cross_entropy_gradient_with_label_smoothing_matches_finite_differences()
    {
        const int batch = 3, classes = 5;
        var rng = new Rng(21);
        var z = TestData.Uniform(rng, batch * classes, -3, 3);
        int[] labels = [4, 0, 2];
        var dz = SoftmaxCrossEntropyReference.Backward(z, labels, batch, classes, 0.15);
        GradientCheck.Check("smoothed softmax-CE dZ", v => SoftmaxCrossEntropyReference.Forward(v, labels, batch, classes, 0.15), z, dz);
    }

    [Fact]
    public void Softmax_cross_entropy_of_equal_logits_is_log_classes()
    {
        Assert.Equal(Math.Log(10), SoftmaxCrossEntropyReference.Forward(new double[20], [3, 9], 2, 10), 14);
    }

    [Fact]
    public void Dropout_gradient_with_a_fixed_mask_matches_finite_differences()
    {
        var rng = new Rng(23);
        var x = TestData.Uniform(rng, 40);
        var mask = Enumerable.Range(0, 40).Select(_ => rng.NextInt(2) * 2.0).ToArray();
        var r = TestData.Uniform(rng, 40);
        var dx = DropoutReference.Backward(r, mask);
        GradientCheck.Check("dropout dX", v => GradientCheck.Project(DropoutReference.Forward(v, mask), r), x, dx);
    }

    [Fact]
    public void Relu_gradient_away_from_zero_matches_finite_differences()
    {
        var rng = new Rng(29);
        var x = TestData.AwayFromZero(rng, 50);
        var r = TestData.Uniform(rng, 50);
        var dx = ReluReference.Backward(x, r);
        GradientCheck.Check("ReLU dX", v => GradientCheck.Project(ReluReference.Forward(v), r), x, dx);
    }
}
