// Sample(n) and Dim(i) outside the tensor: Sample used to hand out the alignment padding past the end (or, through a
// reshaped view, another sample's elements) as if it were data, and Dim threw a bare IndexOutOfRangeException.
using ConvNet.Tensors;

namespace ConvNet.Tests.Tensors;

public sealed class TensorIndexTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    public void ASampleOutsideTheFirstDimensionIsRefusedNamingTheIndexAndTheRange(int n)
    {
        var t = Tensor.FromArray([1, 2, 3, 4, 5, 6], 2, 3);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => t.Sample(n));
        Assert.Equal("n", e.ParamName);
        Assert.Contains($"Sample({n})", e.Message);
        Assert.Contains("0..1", e.Message);
        Assert.Equal([4, 5, 6], t.Sample(1).ToArray());
    }

    [Fact]
    public void AScalarHasNoSamplesAndNoAxes()
    {
        var scalar = new Tensor();
        Assert.Contains("has no samples", Assert.Throws<ArgumentOutOfRangeException>(() => scalar.Sample(0)).Message);
        Assert.Contains("has no axes", Assert.Throws<ArgumentOutOfRangeException>(() => scalar.Dim(0)).Message);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(-1)]
    public void AnAxisOutsideTheRankIsRefusedNamingTheIndexAndTheRange(int axis)
    {
        var t = new Tensor(2, 3);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => t.Dim(axis));
        Assert.Equal("axis", e.ParamName);
        Assert.Contains($"Dim({axis})", e.Message);
        Assert.Contains("0..1", e.Message);
        Assert.Equal(3, t.Dim(1));
    }

    [Fact]
    public void NullShapesAndValuesAreRefusedNamingTheParameter()
    {
        Assert.Equal("shape", Assert.Throws<ArgumentNullException>(() => new Tensor(null!)).ParamName);
        Assert.Equal("values", Assert.Throws<ArgumentNullException>(() => Tensor.FromArray(null!, 2)).ParamName);
        Assert.Equal("shape", Assert.Throws<ArgumentNullException>(() => Tensor.FromArray([1f], null!)).ParamName);
        Assert.Equal("shape", Assert.Throws<ArgumentNullException>(() => new Tensor(2).Reshape(null!)).ParamName);
    }
}
