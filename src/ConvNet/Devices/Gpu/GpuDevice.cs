// One GPU (or ILGPU's CPU accelerator standing in for one): the ILGPU context and accelerator, the loaded kernels,
// the scratch memory layers share (they run one after another on one stream) and the GEMM launcher.
using ConvNet.Kernels.Cuda;
using ConvNet.Tensors;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace ConvNet.Devices.Gpu;

/// <summary>Implicit: the GEMM's tile loader reads the lowered input straight from the NCHW tensor. Lowered: an
/// im2col kernel writes the lowered matrix first and the GEMM reads it as a plain matrix (more memory traffic, no
/// index arithmetic in the GEMM's inner loads). Which is faster is for a GPU to say (bench --conv-algorithm).</summary>
public enum ConvolutionAlgorithm { Implicit, Lowered }

public sealed class GpuDevice : IDisposable
{
    private readonly Context _context;
    private MemoryBuffer1D<float, Stride1D.Dense> _none;

    public Accelerator Accelerator { get; }
    public GpuKernels Kernels { get; }
    public DeviceSpec Spec { get; }
    public bool IsEmulated => Spec.Kind == DeviceKind.Emulated;
    public string Name => IsEmulated ? "emulated (ILGPU CPU accelerator)" : $"{Spec} ({Accelerator.Name})";

    /// <summary>FP32 multiply-add peak in GFLOP/s from the SM count, FP32 cores per SM and clock; null when unknown
    /// (emulation, or an architecture this table does not know).</summary>
    public double? PeakGflops { get; }

    /// <summary>Threads per side of a GEMM group (T x T threads compute a 4T x 4T tile).</summary>
    public int GemmThreads { get; }

    /// <summary>Threads of a channel-sum group.</summary>
    public int SumThreads { get; }

    /// <summary>Group size of the emulated device: each emulated thread of a group is an OS thread that meets the
    /// others at every barrier, so small groups (GEMM tiles of 16x16) keep emulation fast.</summary>
    public const int EmulatedGroupThreads = 16;

    private GpuDevice(Context context, Accelerator accelerator, DeviceSpec spec, double? peak)
    {
        (_context, Accelerator, Spec, PeakGflops) = (context, accelerator, spec, peak);
        int maxGroup = accelerator.MaxNumThreadsPerGroup;
        GemmThreads = Math.Min(GemmKernel.GpuThreads, (int)Math.Sqrt(maxGroup));
        SumThreads = Math.Min(ConvolutionKernels.MaxSumThreads, 1 << (int)Math.Log2(maxGroup));
        Kernels = new GpuKernels(accelerator);
        Columns = new GpuScratch(accelerator, "lowered matrices");
        Partials = new GpuScratch(accelerator, "K-split partial products");
        _none = accelerator.Allocate1D<float>(1);
        Uploads = new GpuUploads(accelerator, pageLock: spec.Kind == DeviceKind.Cuda);
        TimeGemmBlocking = spec.Kind == DeviceKind.Cuda;
    }

    /// <summary>Opens a CUDA device or the emulated one; a clear DeviceUnavailableException when it is not there.</summary>
    public static GpuDevice Open(DeviceSpec spec)
    {
        if (spec.Kind == DeviceKind.Cpu) throw new ArgumentException("GpuDevice.Open: the CPU is not a GPU device");
        if (spec.Kind == DeviceKind.Emulated)
        {
            return OpenEmulated(EmulatedGroupThreads);
        }
        var cuda = OpenCudaContext(spec);
        Accelerator? accelerator = null;
        try
        {
            var devices = cuda.GetCudaDevices();
            RequireIndex(spec, devices.Count);
            accelerator = devices[spec.Index].CreateAccelerator(cuda);
            return new GpuDevice(cuda, accelerator, spec, GpuPeak.Gflops(devices[spec.Index]));
        }
        catch (Exception e)
        {
            accelerator?.Dispose();
            cuda.Dispose();
            if (e is DeviceUnavailableException) throw;
            throw new DeviceUnavailableException($"--device {spec}: the GPU could not be prepared ({e.Message})");
        }
    }

    /// <summary>ILGPU's CPU accelerator with groups of up to <paramref name="groupThreads"/> threads (16 for
    /// --device emulated; 256 runs the GPU's own 64x64 GEMM tiles, slowly).</summary>
    public static GpuDevice OpenEmulated(int groupThreads)
    {
        var context = Context.Create(b => b.CPU(new CPUDevice(numThreadsPerWarp: groupThreads, numWarpsPerMultiprocessor: 1, numMultiprocessors: 1)).EnableAlgorithms().Profiling());
        try { return new GpuDevice(context, context.GetCPUDevice(0).CreateAccelerator(context), new DeviceSpec(DeviceKind.Emulated), null); }
        catch { context.Dispose(); throw; }
    }

    /// <summary>Throws DeviceUnavailableException unless the device can be opened (cheap: no kernels are loaded).</summary>
    public static void RequireAvailable(DeviceSpec spec)
    {
        if (spec.Kind != DeviceKind.Cuda) return;
        using var context = OpenCudaContext(spec);
        RequireIndex(spec, context.GetCudaDevices().Count);
    }

    private static Context OpenCudaContext(DeviceSpec spec)
    {
        CudaDriver.EnsureResolver();
        if (!CudaDriver.IsDriverPresent())
            throw new DeviceUnavailableException($"--device {spec}: no NVIDIA driver found (looked for {string.Join(", ", CudaDriver.LibraryNames)}); use --device cpu, or --device emulated to check the GPU kernels on the CPU");
        try { return Context.Create(b => b.Cuda().EnableAlgorithms().Profiling()); }
        catch (Exception e) { throw new DeviceUnavailableException($"--device {spec}: the NVIDIA driver could not be initialised ({e.Message})"); }
    }

    private static void RequireIndex(DeviceSpec spec, int count)
    {
        if (spec.Index < count) return;
        throw new DeviceUnavailableException(count == 0
            ? $"--device {spec}: the NVIDIA driver is installed but lists no usable CUDA device: {CudaDriver.WhyNoDevice()}"
            : $"--device {spec}: there are {count} CUDA devices (cuda:0 .. cuda:{count - 1})");
    }

    /// <summary>A 1-element buffer for kernel arguments that are not used (no bias).</summary>
    public ArrayView<float> None => _none.View;

    /// <summary>Bytes a plan may still allocate: the GPU's free memory now (its own parameters and other processes'
    /// buffers already taken off); on the emulated device, which allocates from the host, the machine's memory.</summary>
    public long FreeBytes() => FreeBytesForTests ?? (Accelerator is CudaAccelerator cuda ? cuda.GetFreeMemory() : Models.PlanMemory.MachineBytes());

    /// <summary>Stands in for <see cref="FreeBytes"/> (tests give the emulated device a small GPU's memory).</summary>
    internal long? FreeBytesForTests { get; set; }

    /// <summary>"free on cuda:0 (NVIDIA ...)": whose memory <see cref="FreeBytes"/> counts, as PlanMemory's message ends.</summary>
    public string FreeMemoryOf => IsEmulated ? "this machine has for the emulated GPU" : $"free on {Name}";

    /// <summary>Scratch for lowered matrices: a convolution's lowered input gradient (and its lowered input with
    /// <see cref="ConvolutionAlgorithm.Lowered"/>).</summary>
    public GpuScratch Columns { get; }

    /// <summary>Scratch for the partial products of a GEMM cut into K-slices.</summary>
    public GpuScratch Partials { get; }

    /// <summary>Values of C per GEMM thread per side for products whose layer has no blocking of its own: 4 (64x64
    /// tiles on a GPU, the default) or 8 (128x128).</summary>
    public int GemmBlocking
    {
        get => _gemmBlocking;
        set => _gemmBlocking = value is 4 or 8 ? value : throw new ArgumentOutOfRangeException(nameof(value), $"GEMM blocking is 4 or 8, not {value}");
    }

    private int _gemmBlocking = 4;

    /// <summary>Whether a network planned on this device times both blockings on each convolution and fully connected
    /// layer and keeps the faster (<see cref="GemmBlockingChoice"/>). On by default on a CUDA GPU; off on the emulated
    /// device, whose clock says nothing about a GPU, and when a command forces one blocking.</summary>
    public bool TimeGemmBlocking { get; set; }

    /// <summary>Every layer runs <paramref name="blocking"/> (4 or 8): nothing is timed when a network is planned.</summary>
    public void ForceGemmBlocking(int blocking)
    {
        GemmBlocking = blocking;
        TimeGemmBlocking = false;
    }

    /// <summary>How convolutions read their input: implicit GEMM (the default) or an explicit lowered matrix.</summary>
    public ConvolutionAlgorithm ConvolutionAlgorithm { get; set; } = ConvolutionAlgorithm.Implicit;

    /// <summary>Thread groups a product should spread over: a few per multiprocessor of a large GPU (an H200 has 132).</summary>
    public const int TargetGroups = 1024;

    /// <summary>The shortest K-slice worth a pass of its own (16 steps of the tile loop).</summary>
    public const int MinSliceK = 256;

    /// <summary>How many K-slices a product of <paramref name="k"/>-long sums gets: one whose 64x64 tiles of C would
    /// not fill the GPU (a convolution's weight gradient, a fully connected layer at a small batch, any layer at
    /// batch 1) is cut along K so that about <see cref="TargetGroups"/> thread groups share it, each slice at least
    /// <see cref="MinSliceK"/> deep and at most 64 slices.</summary>
    public static int SplitsFor(int m, int n, int k, int groups)
    {
        int tile = GemmKernel.Tile(GemmKernel.GpuThreads); // 64x64: the split depends on the shape, not on the device
        long tiles = (long)((m + tile - 1) / tile) * ((n + tile - 1) / tile) * groups;
        long byTiles = TargetGroups / Math.Max(1, tiles), byDepth = k / MinSliceK;
        return (int)Math.Clamp(Math.Min(byTiles, byDepth), 1, 64);
    }

    /// <summary>Floats of partial-product scratch a GEMM with <paramref name="splits"/> K-slices needs.</summary>
    public static long SplitWorkspace(int m, int n, int groups, int splits) => splits > 1 ? (long)splits * groups * m * n : 0;

    /// <summary>C = A B (+ epilogue) for every group; with Splits &gt; 1 the slices go to the workspace first.</summary>
    /// <param name="blocking">4 or 8 values of C per thread per side; 0: <see cref="GemmBlocking"/></param>
    public void Gemm(GemmArgs args, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float>? bias = null, int blocking = 0)
    {
        if (blocking == 0) blocking = GemmBlocking;
        else if (blocking is not (4 or 8)) throw new ArgumentOutOfRangeException(nameof(blocking), $"GEMM blocking is 4 or 8, not {blocking}");
        if (args.Splits < 1 || args.Groups < 1) throw new ArgumentException($"GEMM: {args.Groups} groups and {args.Splits} K-splits (at least 1 each)");
        // Slices start on whole K steps of the tile, so no slice wastes a partly empty step.
        if (args.KPerSplit <= 0) args.KPerSplit = (args.K + args.Splits - 1) / args.Splits;
        if (args.Splits > 1) args.KPerSplit = (args.KPerSplit + GemmKernel.TileK - 1) / GemmKernel.TileK * GemmKernel.TileK;
        var config = new KernelConfig(GemmKernel.GridFor(args, GemmThreads, blocking), GemmKernel.GroupSize(GemmThreads));
        var gemm = blocking == 8 ? Kernels.Gemm8x8 : Kernels.Gemm4x4;
        if (blocking == 8) Gemm8x8Launches++;
        var biasView = bias ?? None;
        if (args.Splits == 1)
        {
            gemm(config, a, b, c, biasView, args);
            return;
        }
        var partial = Partials.View(SplitWorkspace(args.M, args.N, args.Groups, args.Splits));
        gemm(config, a, b, partial, biasView, args);
        Kernels.ReduceSplits(args.Groups * args.M * args.N, partial, c, biasView, args);
    }

    /// <summary>How many GEMMs this device has launched with 8x8 blocking (tests check which blocking each layer used).</summary>
    internal long Gemm8x8Launches { get; private set; }

    /// <summary>Waits for everything queued; on the emulated device also checks that no host buffer changed while its
    /// upload was queued (a real GPU would have copied the changed values).</summary>
    public void Synchronize()
    {
        Accelerator.Synchronize();
        Uploads.CheckSettled();
    }

    /// <summary>Queues host-to-device copies from page-locked host memory.</summary>
    public GpuUploads Uploads { get; }

    /// <summary>Queues a copy of <paramref name="source"/> into <paramref name="destination"/>; see <see cref="GpuUploads"/>.</summary>
    public void UploadAsync(GpuTensor destination, Tensor source) => Uploads.Queue(destination, source);

    public void Dispose()
    {
        Accelerator.Synchronize();
        Uploads.Dispose();
        Columns.Dispose();
        Partials.Dispose();
        _none.Dispose();
        Accelerator.Dispose();
        _context.Dispose();
    }
}
