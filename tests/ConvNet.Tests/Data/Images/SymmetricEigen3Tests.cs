// The 3x3 Jacobi eigen-solver behind the colour PCA: known spectra, and A = V diag(lambda) V^T with V orthonormal.
using ConvNet.Data.Images;
using ConvNet.Random;

namespace ConvNet.Tests.Data.Images;

public sealed class SymmetricEigen3Tests
{
    [Fact]
    public void KnownMatrixHasKnownEigenpairs()
    {
        // [[2,1,0],[1,2,0],[0,0,5]]: eigenvalues 5 (e3), 3 ((1,1,0)/sqrt2), 1 ((1,-1,0)/sqrt2).
        var (values, vectors) = SymmetricEigen3.Decompose([2, 1, 0, 1, 2, 0, 0, 0, 5]);
        Assert.Equal([5, 3, 1], values.Select(v => Math.Round(v, 12)));
        Assert.Equal(1, Math.Abs(vectors[0][2]), 12);
        Assert.Equal(1 / Math.Sqrt(2), Math.Abs(vectors[1][0]), 12);
        Assert.Equal(vectors[1][0], vectors[1][1], 12);
        Assert.Equal(-vectors[2][0], vectors[2][1], 12);
    }

    [Fact]
    public void DiagonalAndZeroMatrices()
    {
        var (values, _) = SymmetricEigen3.Decompose([1, 0, 0, 0, 7, 0, 0, 0, -2]);
        Assert.Equal([7.0, 1.0, -2.0], values);
        var (zeros, vectors) = SymmetricEigen3.Decompose(new double[9]);
        Assert.Equal([0.0, 0.0, 0.0], zeros);
        Assert.All(vectors, v => Assert.Equal(1, v.Sum(x => x * x), 12));
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    [InlineData(4UL)]
    public void RandomSymmetricMatricesAreReconstructed(ulong seed)
    {
        var rng = new Rng(seed);
        var a = new double[9];
        for (int i = 0; i < 3; i++)
            for (int j = i; j < 3; j++)
                a[i * 3 + j] = a[j * 3 + i] = rng.NextGaussian() * (seed == 4 ? 1e-4 : 10); // colour covariances are small
        var (values, vectors) = SymmetricEigen3.Decompose(a);
        Assert.True(values[0] >= values[1] && values[1] >= values[2]);
        double norm = Math.Sqrt(a.Sum(x => x * x));
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
            {
                double dot = 0, reconstructed = 0;
                for (int k = 0; k < 3; k++)
                {
                    dot += vectors[i][k] * vectors[j][k];
                    reconstructed += vectors[k][i] * values[k] * vectors[k][j];
                }
                Assert.Equal(i == j ? 1 : 0, dot, 12);
                Assert.True(Math.Abs(reconstructed - a[i * 3 + j]) <= 1e-12 * norm, $"A[{i},{j}] = {a[i * 3 + j]}, V L V^T gives {reconstructed}");
            }
    }
}
