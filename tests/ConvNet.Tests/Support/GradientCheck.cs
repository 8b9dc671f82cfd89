// Central finite differences in double precision, to check hand-derived backward passes.
namespace ConvNet.Tests.Support;

public static class GradientCheck
{
    /// <summary>dL/d(at) by (L(at + eps e_i) - L(at - eps e_i)) / (2 eps) for every i; <paramref name="at"/> is restored.</summary>
    public static double[] Numerical(Func<double[], double> loss, double[] at, double eps = 1e-6)
    {
        var gradient = new double[at.Length];
        for (int i = 0; i < at.Length; i++)
        {
            double saved = at[i];
            at[i] = saved + eps;
            double plus = loss(at);
            at[i] = saved - eps;
            double minus = loss(at);
            at[i] = saved;
            gradient[i] = (plus - minus) / (2 * eps);
        }
        return gradient;
    }

    /// <summary>The scalar a layer check differentiates: L = sum_i y_i r_i, whose dL/dy is r.</summary>
    public static double Project(double[] y, double[] r)
    {
        if (y.Length != r.Length) throw new ArgumentException($"projection: {y.Length} outputs, {r.Length} weights");
        double sum = 0;
        for (int i = 0; i < y.Length; i++) sum += y[i] * r[i];
        return sum;
    }

    /// <summary>Asserts that <paramref name="analytic"/> equals the numerical gradient of <paramref name="loss"/> at <paramref name="at"/>.</summary>
    public static void Check(string what, Func<double[], double> loss, double[] at, double[] analytic,
        double rtol = 1e-6, double atolFraction = 1e-6)
    {
        var numerical = Numerical(loss, at);
        Assert.Contains(numerical, v => v != 0); // a check against an all-zero gradient proves nothing
        Close.All(numerical, analytic, rtol, atolFraction, what);
    }
}
