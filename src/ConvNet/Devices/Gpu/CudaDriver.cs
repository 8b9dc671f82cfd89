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

    /// <summary>Why the driver lists no device, in its own words: ILGPU reports a failed cuInit (a driver and kernel
    /// module of different versions after an upgrade, no device) as an empty device list, so ask the driver again.</summary>
    /// <param name="libraries">the driver files to try (<see cref="LibraryNames"/> by default)</param>
    public static unsafe string WhyNoDevice(IEnumerable<string>? libraries = null)
    {
        var names = (libraries ?? LibraryNames).ToList();
        foreach (var name in names)
        {
            if (!NativeLibrary.TryLoad(name, out var handle)) continue;
            try
            {
                if (!NativeLibrary.TryGetExport(handle, "cuInit", out var init))
                    return $"{name} has no cuInit: it is not an NVIDIA CUDA driver library";
                int status = ((delegate* unmanaged<uint, int>)init)(0);
                if (status != 0) return $"cuInit failed with {Describe(handle, status)}";
                if (!NativeLibrary.TryGetExport(handle, "cuDeviceGetCount", out var getCount))
                    return $"{name} has no cuDeviceGetCount: it is not an NVIDIA CUDA driver library";
                int count = 0;
                status = ((delegate* unmanaged<int*, int>)getCount)(&count);
                if (status != 0) return $"cuDeviceGetCount failed with {Describe(handle, status)}";
                return count == 0
                    ? "the driver counts 0 devices"
                    : $"the driver counts {count} device{(count == 1 ? "" : "s")}, but ILGPU could not query {(count == 1 ? "it" : "them")}: the driver may be older than ILGPU 1.5 supports, or {name} incomplete";
            }
            finally { NativeLibrary.Free(handle); }
        }
        return $"none of {string.Join(", ", names)} could be loaded";
    }

    /// <summary>"803 CUDA_ERROR_SYSTEM_DRIVER_MISMATCH (system has unsupported display driver / cuda driver combination)".</summary>
    private static unsafe string Describe(IntPtr handle, int status)
    {
        string text = $"error {status}";
        if (NativeLibrary.TryGetExport(handle, "cuGetErrorName", out var getName))
        {
            byte* name = null;
            if (((delegate* unmanaged<int, byte**, int>)getName)(status, &name) == 0 && name != null)
                text += " " + Marshal.PtrToStringUTF8((IntPtr)name);
        }
        if (NativeLibrary.TryGetExport(handle, "cuGetErrorString", out var getString))
        {
            byte* words = null;
            if (((delegate* unmanaged<int, byte**, int>)getString)(status, &words) == 0 && words != null)
                text += $" ({Marshal.PtrToStringUTF8((IntPtr)words)})";
        }
        return text;
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name is not ("cuda" or "nvcuda" or "libcuda")) return IntPtr.Zero;
        foreach (var candidate in LibraryNames)
            if (NativeLibrary.TryLoad(candidate, out var handle)) return handle;
        return IntPtr.Zero;
    }
}
