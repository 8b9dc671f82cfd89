// What a plan for a batch size must allocate at least, checked before anything is allocated: a batch whose buffers
// cannot exist fails at once with the batch that would fit, instead of an OutOfMemoryException after minutes of
// setup or, worse, the kernel's OOM killer ending the process with no word once the buffers are touched.
using ConvNet.Tensors;

namespace ConvNet.Models;

public static class PlanMemory
{
    // A Tensor is one float[] (with 16 floats of alignment slack); .NET arrays hold at most int.MaxValue elements.
    private const long LargestBuffer = int.MaxValue - 16;

    /// <summary>Floats every sample of a batch needs: each layer's output and the gradient with respect to its input
    /// (which Plan allocates for every layer but the first). Scratch and masks come on top, fused ReLUs share their
    /// convolution's buffers; for AlexNet this matches the measured growth of the process (15.5 MB per sample).</summary>
    /// <param name="withGradients">false: outputs only (a GPU network planned for inference has no input gradients)</param>
    public static long FloatsPerSample(ModelSpec spec, IReadOnlyList<Layers.Layer> layers, bool withGradients = true)
    {
        long floats = 0;
        int[] shape = [1, .. spec.InputShape];
        for (int i = 0; i < layers.Count; i++)
        {
            if (i > 0 && withGradients) floats += SampleElements(shape);
            shape = layers[i].OutputShapeFor(shape);
            floats += SampleElements(shape);
        }
        return floats;
    }

    /// <summary>The largest batch whose every buffer fits in one .NET array.</summary>
    public static long LargestBatchByArrays(ModelSpec spec, IReadOnlyList<Layers.Layer> layers, out string layer, out long elements)
    {
        layer = layers[0].Name;
        elements = SampleElements([1, .. spec.InputShape]);
        int[] shape = [1, .. spec.InputShape];
        foreach (var l in layers)
        {
            shape = l.OutputShapeFor(shape);
            long e = SampleElements(shape);
            if (e > elements) { elements = e; layer = l.Name; }
        }
        return LargestBuffer / elements;
    }

    /// <summary>Throws naming the batch, what it needs and the largest batch that fits, when a plan for
    /// <paramref name="batch"/> cannot be allocated: a buffer over .NET's array limit, or more memory than this
    /// machine (or its container) gives the process in all.</summary>
    /// <param name="memoryOf">whose memory <paramref name="availableBytes"/> is, as the message ends: "this machine has",
    /// or a GPU's free memory</param>
    public static void Require(ModelSpec spec, IReadOnlyList<Layers.Layer> layers, int batch, long availableBytes, string memoryOf = "this machine has",
        bool withGradients = true)
    {
        long byArrays = LargestBatchByArrays(spec, layers, out string layer, out long elements);
        if (batch > byArrays)
            throw new InsufficientMemoryException(
                FormattableString.Invariant($"model {spec.Name} cannot run a batch of {batch:N0}: {layer}'s output would hold {batch * elements:N0} ") +
                FormattableString.Invariant($"floats, more than one tensor holds (a .NET array's limit, which device tensors share); the largest batch it can take is {byArrays:N0}"));
        long bytesPerSample = 4 * FloatsPerSample(spec, layers, withGradients);
        long needed = bytesPerSample * batch;
        if (availableBytes > 0 && needed > availableBytes)
            throw new InsufficientMemoryException(
                FormattableString.Invariant($"model {spec.Name} needs about {Gigabytes(needed)} for the {(withGradients ? "activations and gradients" : "activations")} of a batch of {batch:N0} ") +
                $"({Megabytes(bytesPerSample)} per sample), more than the {Gigabytes(availableBytes)} of memory {memoryOf} " +
                (availableBytes >= bytesPerSample ? FormattableString.Invariant($"(a batch of {availableBytes / bytesPerSample:N0} would already need all of it)") : "(not even one sample fits)"));
    }

    /// <summary>As <see cref="Require"/> for several plans held at once (a server's batch sizes): their samples
    /// together against the machine's memory; <paramref name="fix"/> says what fits.</summary>
    public static void RequireAll(ModelSpec spec, IReadOnlyList<Layers.Layer> layers, IReadOnlyList<int> batches, long availableBytes, Func<string> fix)
    {
        Require(spec, layers, batches.Max(), 0); // the array limit, which the largest meets first; memory below, for all
        long bytesPerSample = 4 * FloatsPerSample(spec, layers), needed = bytesPerSample * batches.Sum(b => (long)b);
        if (availableBytes > 0 && needed > availableBytes)
            throw new InsufficientMemoryException(
                $"model {spec.Name} needs about {Gigabytes(needed)} for the activations and gradients of batches of {string.Join(", ", batches)} " +
                $"held at once ({Megabytes(bytesPerSample)} per sample), more than the {Gigabytes(availableBytes)} of memory this machine has; {fix()}");
    }

    /// <summary>The memory the GC may use in all: physical memory, or the container's limit when there is one.</summary>
    public static long MachineBytes() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    private static long SampleElements(int[] shape)
    {
        long product = 1;
        for (int d = 1; d < shape.Length; d++) product *= shape[d];
        return product;
    }

    private static string Gigabytes(long bytes) => FormattableString.Invariant($"{bytes / 1e9:0.0} GB");
    internal static string Megabytes(long bytes) => bytes >= 100_000 ? FormattableString.Invariant($"{bytes / 1e6:0.0} MB") : FormattableString.Invariant($"{bytes / 1e3:0.0} kB");
}
