// Which device runs a network: the CPU engine, an NVIDIA GPU through CUDA, or ILGPU's CPU accelerator running the
// GPU kernels ("emulated": slow, for checking kernels on machines without a GPU).
namespace ConvNet.Devices;

public enum DeviceKind { Cpu, Cuda, Emulated }

public readonly record struct DeviceSpec(DeviceKind Kind, int Index = 0)
{
    public static DeviceSpec Cpu => new(DeviceKind.Cpu);

    public bool IsGpu => Kind != DeviceKind.Cpu;

    /// <summary>"cpu", "cuda", "cuda:N" or "emulated".</summary>
    public static DeviceSpec Parse(string text)
    {
        string t = text.Trim().ToLowerInvariant();
        if (t == "cpu") return Cpu;
        if (t == "emulated") return new(DeviceKind.Emulated);
        if (t == "cuda") return new(DeviceKind.Cuda);
        if (t.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(t.AsSpan(5), out int index) && index >= 0)
            return new(DeviceKind.Cuda, index);
        throw new ArgumentException($"--device: '{text}' is not a device; use cpu, cuda, cuda:N (N = 0, 1, ...) or emulated");
    }

    public override string ToString() => Kind switch
    {
        DeviceKind.Cpu => "cpu",
        DeviceKind.Emulated => "emulated",
        _ => Index == 0 ? "cuda" : $"cuda:{Index}",
    };
}

/// <summary>The requested device is not there (no NVIDIA driver, no GPU, index out of range).</summary>
public sealed class DeviceUnavailableException(string message) : Exception(message);
