// ILGPU binds the CUDA driver API by a library name ("cuda"/"nvcuda") that a Linux machine with only the driver
// installed does not have: the driver ships libcuda.so.1 (libcuda.so comes with development packages). The resolver
// maps those names to the versioned file, so a machine needs the NVIDIA driver and nothing else.
using System.Reflection;
using System.Runtime.InteropServices;

namespace ConvNet.Devices.Gpu;

public static class CudaDriver
{
    /// <summary>The file names tried, in order.</summary>
    public static readonly string[] LibraryNames = ["libcuda.so.1", "libcuda.so"];

    private static readonly Lazy<bool> Installed = new(() =>
    {
        NativeLibrary.SetDllImportResolver(typeof(ILGPU.Context).Assembly, Resolve);
        return true;
    });

    /// <summary>Installs the resolver on ILGPU's assembly (once per process; later calls do nothing).</summary>
    public static void EnsureResolver() => _ = Installed.Value;

    /// <summary>Whether the driver library can be loaded here.</summary>
    public static bool IsDriverPresent()
    {
        foreach (var name in LibraryNames)
            if (NativeLibrary.TryLoad(name, out var handle)) { NativeLibrary.Free(handle); return true; }
        return false;
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name is not ("cuda" or "nvcuda" or "libcuda")) return IntPtr.Zero;
        foreach (var candidate in LibraryNames)
            if (NativeLibrary.TryLoad(candidate, out var handle)) return handle;
        return IntPtr.Zero;
    }
}
