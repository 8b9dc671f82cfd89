using ConvNet.Cli.Benchmarks;
using Xunit;

namespace ConvNet.Tests.Cli;

// The pass rule of `bench --verify`: each tensor's GPU error against a limit set by the CPU's own sensitivity to rounding.
public class GpuVerifyCriterionTests
{
    private static float[] Values(int n, float scale = 1) => Enumerable.Range(0, n).Select(i => scale * MathF.Sin(0.37f * i + 0.1f)).ToArray();

    private static float[] Scaled(float[] values, float factor) => values.Select(v => v * factor).ToArray();

    [Fact]
    public void Identical_tensors_pass_with_the_floor_as_limit()
    {
        var cpu = Values(100);
        var check = GpuVerify.Check("t", cpu, cpu, cpu);
        Assert.Equal(0, check.GpuError);
        Assert.Equal(0, check.RoundingError);
        Assert.Equal(GpuVerify.Floor, check.Limit);
        Assert.True(check.Passed);
    }

    [Fact]
    public void A_tensor_that_rounding_barely_moves_must_agree_to_the_floor()
    {
        var cpu = Values(100);
        var check = GpuVerify.Check("t", cpu, Scaled(cpu, 1.01f), Scaled(cpu, 1 + 1e-7f));
        Assert.Equal(0.01, check.GpuError, 4);
        Assert.Equal(GpuVerify.Floor, check.Limit);
        Assert.False(check.Passed);
    }

    [Fact]
    public void A_sensitive_tensor_gets_ten_times_its_rounding_difference_but_an_order_one_error_still_fails()
    {
        var cpu = Values(100);
        var twin = Scaled(cpu, 1.005f); // moved 0.5 % by a one-ulp change of the inputs
        Assert.Equal(0.05, GpuVerify.Check("t", cpu, cpu, twin).Limit, 4);
        Assert.True(GpuVerify.Check("t", cpu, Scaled(cpu, 1.03f), twin).Passed);
        Assert.False(GpuVerify.Check("t", cpu, Scaled(cpu, 1.5f), twin).Passed);
        Assert.False(GpuVerify.Check("t", cpu, Scaled(cpu, -1f), twin).Passed);
    }

    [Fact]
    public void However_sensitive_the_tensor_its_limit_is_capped_so_zeros_or_a_lost_part_still_fail()
    {
        var cpu = Enumerable.Range(0, 640).Select(i => i % 2 == 0 ? 1f : -1f).ToArray();
        var twin = Scaled(cpu, 1.5f); // rounding would move it by half: no tensor is checked that loosely
        Assert.Equal(GpuVerify.Cap, GpuVerify.Check("t", cpu, cpu, twin).Limit);
        Assert.False(GpuVerify.Check("t", cpu, new float[640], twin).Passed); // all zeros: error 1
        var partLost = (float[])cpu.Clone();
        for (int i = 0; i < 640; i += 64) partLost[i] = 0; // a sixty-fourth of the values lost: error sqrt(1/64)
        Assert.Equal(0.125, GpuVerify.Check("t", cpu, partLost, twin).GpuError, 6);
        Assert.False(GpuVerify.Check("t", cpu, partLost, twin).Passed);
    }

    [Fact]
    public void A_NaN_from_the_gpu_fails_whatever_the_twin_allows()
    {
        var cpu = Values(10);
        var gpu = (float[])cpu.Clone();
        gpu[3] = float.NaN;
        var check = GpuVerify.Check("t", cpu, gpu, Scaled(cpu, 2f));
        Assert.False(check.Passed);
        Assert.True(double.IsNaN(check.GpuElementwise));
    }

    [Fact]
    public void A_tensor_of_zeros_compares_absolutely()
    {
        var zeros = new float[8];
        Assert.True(GpuVerify.Check("m", zeros, zeros, zeros).Passed);
        var gpu = new float[8];
        gpu[0] = 0.5f;
        Assert.False(GpuVerify.Check("m", zeros, gpu, zeros).Passed);
    }

    [Fact]
    public void Tensors_of_different_lengths_are_refused()
    {
        Assert.Throws<ArgumentException>(() => GpuVerify.Check("t", Values(4), Values(5), Values(4)));
    }
}
