// Every kernel of Kernels/Cuda compiles to PTX for the H100/H200 generation (sm_90) on any machine: ILGPU's PTX
// backend needs no driver. The CPU accelerator runs a kernel's .NET code as it is, so only this test shows that a
// kernel uses nothing the GPU compiler refuses (an unsupported intrinsic, a managed allocation, ...).
using System.Reflection;
using ConvNet.Kernels.Cuda;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace ConvNet.Tests.Devices;

public sealed class PtxCompileTests
{
    public static TheoryData<string> Kernels()
    {
        var data = new TheoryData<string>();
        foreach (var m in KernelMethods()) data.Add($"{m.DeclaringType!.Name}.{m.Name}");
        return data;
    }

    /// <summary>Public static void methods of the Kernels/Cuda classes that take views: the kernels GpuKernels loads.</summary>
    private static IEnumerable<MethodInfo> KernelMethods() =>
        typeof(GemmKernel).Assembly.GetTypes()
            .Where(t => t.Namespace == typeof(GemmKernel).Namespace && t.IsAbstract && t.IsSealed)
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static))
            .Where(m => m.ReturnType == typeof(void) && m.GetParameters().Any(p => p.ParameterType.IsGenericType && p.ParameterType.GetGenericTypeDefinition() == typeof(ArrayView<>)));

    [Theory, MemberData(nameof(Kernels))]
    public void Kernel_compiles_to_ptx(string name)
    {
        var method = KernelMethods().Single(m => $"{m.DeclaringType!.Name}.{m.Name}" == name);
        bool implicitlyGrouped = method.GetParameters()[0].ParameterType == typeof(Index1D);
        using var context = Context.Create(b => b.Cuda().EnableAlgorithms());
        var backend = new PTXBackend(context, new CudaCapabilityContext(CudaArchitecture.SM_90), CudaArchitecture.SM_90, CudaInstructionSet.ISA_80, null!);
        var entry = implicitlyGrouped ? EntryPointDescription.FromImplicitlyGroupedKernel(method) : EntryPointDescription.FromExplicitlyGroupedKernel(method);
        var kernel = (PTXCompiledKernel)backend.Compile(entry, KernelSpecialization.Empty);
        Assert.Contains(".entry", kernel.PTXAssembly);
    }

    [Fact]
    public void Every_loaded_kernel_is_checked()
    {
        int loaded = typeof(ConvNet.Devices.Gpu.GpuKernels).GetProperties().Length;
        Assert.Equal(loaded, KernelMethods().Count());
    }
}
