// Eigen-decomposition of a symmetric 3x3 matrix by cyclic Jacobi rotations (for the paper's RGB colour PCA).
// Each rotation zeroes one off-diagonal entry; a few sweeps bring them all below rounding. Double precision throughout.
namespace ConvNet.Data.Images;

public static class SymmetricEigen3
{
    /// <param name="matrix">row-major 3x3, symmetric (only the upper triangle is read)</param>
    /// <returns>eigenvalues in descending order, and eigenvectors[i] the unit eigenvector of eigenvalues[i]</returns>
    public static (double[] Values, double[][] Vectors) Decompose(ReadOnlySpan<double> matrix)
    {
        if (matrix.Length != 9) throw new ArgumentException($"a 3x3 matrix has 9 entries, got {matrix.Length}", nameof(matrix));
        var a = new double[3, 3];
        for (int i = 0; i < 3; i++)
            for (int j = i; j < 3; j++)
                a[i, j] = a[j, i] = matrix[i * 3 + j];
        foreach (double value in matrix) if (!double.IsFinite(value)) throw new ArgumentException("the matrix has a non-finite entry", nameof(matrix));
        var v = new double[3, 3] { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } }; // columns become the eigenvectors

        for (int sweep = 0; sweep < 50; sweep++)
        {
            double off = a[0, 1] * a[0, 1] + a[0, 2] * a[0, 2] + a[1, 2] * a[1, 2];
            double scale = a[0, 0] * a[0, 0] + a[1, 1] * a[1, 1] + a[2, 2] * a[2, 2] + off;
            if (off <= 1e-30 * scale || off == 0) break;
            for (int p = 0; p < 2; p++)
                for (int q = p + 1; q < 3; q++)
                    Rotate(a, v, p, q);
        }

        var order = new[] { 0, 1, 2 }.OrderByDescending(i => a[i, i]).ToArray();
        var values = order.Select(i => a[i, i]).ToArray();
        var vectors = order.Select(i => new[] { v[0, i], v[1, i], v[2, i] }).ToArray();
        return (values, vectors);
    }

    // Chooses the angle that zeroes a[p,q] (the smaller of the two solutions, for stability) and applies A <- J^T A J, V <- V J.
    private static void Rotate(double[,] a, double[,] v, int p, int q)
    {
        if (a[p, q] == 0) return;
        double theta = (a[q, q] - a[p, p]) / (2 * a[p, q]);
        double t = Math.Sign(theta == 0 ? 1 : theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
        double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
        for (int k = 0; k < 3; k++)
        {
            double akp = a[k, p], akq = a[k, q];
            a[k, p] = c * akp - s * akq;
            a[k, q] = s * akp + c * akq;
        }
        for (int k = 0; k < 3; k++)
        {
            double apk = a[p, k], aqk = a[q, k];
            a[p, k] = c * apk - s * aqk;
            a[q, k] = s * apk + c * aqk;
        }
        for (int k = 0; k < 3; k++)
        {
            double vkp = v[k, p], vkq = v[k, q];
            v[k, p] = c * vkp - s * vkq;
            v[k, q] = s * vkp + c * vkq;
        }
    }
}
