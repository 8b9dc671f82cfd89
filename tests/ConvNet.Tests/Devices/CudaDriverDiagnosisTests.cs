// When ILGPU lists no CUDA device, the error carries the driver's own reason. Stand-in driver libraries, compiled here
// from a few lines of C, play the cases a machine without a working GPU meets (this one has no NVIDIA driver at all).
using System.Diagnostics;
using ConvNet.Devices.Gpu;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Devices;

public sealed class CudaDriverDiagnosisTests
{
    private const string ErrorText = """
        int cuGetErrorName(int e, const char **s) { *s = e == 803 ? "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH" : "CUDA_ERROR_NO_DEVICE"; return 0; }
        int cuGetErrorString(int e, const char **s) { *s = e == 803 ? "system has unsupported display driver / cuda driver combination" : "no CUDA-capable device is detected"; return 0; }
        """;

    [GccFact]
    public void A_driver_that_fails_to_initialise_is_named_with_its_error()
    {
        using var temp = new TempDirectory();
        string driver = Compile(temp, "mismatch", "int cuInit(unsigned f) { return 803; }\n" + ErrorText);
        Assert.Equal("cuInit failed with error 803 CUDA_ERROR_SYSTEM_DRIVER_MISMATCH (system has unsupported display driver / cuda driver combination)",
            CudaDriver.WhyNoDevice([driver]));
    }

    [GccFact]
    public void A_machine_without_a_device_says_so_in_the_drivers_words()
    {
        using var temp = new TempDirectory();
        string driver = Compile(temp, "nodevice", "int cuInit(unsigned f) { return 100; }\n" + ErrorText);
        Assert.Equal("cuInit failed with error 100 CUDA_ERROR_NO_DEVICE (no CUDA-capable device is detected)", CudaDriver.WhyNoDevice([driver]));
    }

    [GccFact]
    public void A_device_the_driver_counts_but_ilgpu_cannot_query_is_told_apart()
    {
        using var temp = new TempDirectory();
        string driver = Compile(temp, "one", "int cuInit(unsigned f) { return 0; }\nint cuDeviceGetCount(int *c) { *c = 1; return 0; }\n");
        Assert.StartsWith("the driver counts 1 device, but ILGPU could not query it", CudaDriver.WhyNoDevice([driver]));
    }

    [GccFact]
    public void A_library_that_is_no_cuda_driver_is_named()
    {
        using var temp = new TempDirectory();
        string driver = Compile(temp, "empty", "int unrelated = 1;\n");
        Assert.Equal($"{driver} has no cuInit: it is not an NVIDIA CUDA driver library", CudaDriver.WhyNoDevice([driver]));
    }

    [Fact]
    public void No_driver_file_is_named_as_missing() =>
        Assert.Equal("none of /nonexistent/libcuda.so.1 could be loaded", CudaDriver.WhyNoDevice(["/nonexistent/libcuda.so.1"]));

    private static string Compile(TempDirectory temp, string name, string source)
    {
        string c = temp.Combine(name + ".c"), library = temp.Combine("lib" + name + ".so");
        File.WriteAllText(c, source);
        using var gcc = Process.Start(new ProcessStartInfo(GccFactAttribute.Path, ["-shared", "-fPIC", "-o", library, c]) { RedirectStandardError = true })!;
        string errors = gcc.StandardError.ReadToEnd();
        gcc.WaitForExit();
        Assert.True(gcc.ExitCode == 0, errors);
        return library;
    }
}

/// <summary>A test that compiles C with Debian's gcc (CI installs it): skipped, saying so, on a machine without it.</summary>
public sealed class GccFactAttribute : FactAttribute
{
    public const string Path = "/usr/bin/gcc";

    public GccFactAttribute()
    {
        if (!File.Exists(Path)) Skip = $"{Path} is missing: install Debian's gcc (apt-get install gcc) to run this test";
    }
}
