// Averages gradients over the ranks. All gradients and the loss share one pinned buffer laid out in the order backward
// produces them (fc8 first); as each layer's backward finishes, its gradients are copied in, and whenever a bucket of
// them is complete its sum starts at once (a non-blocking allreduce; ranks on one machine sum through shared memory
// instead, when waited for) while backward goes on with the layers below.
// The last bucket (the convolutions and the loss) starts after backward; then all are waited for and scaled by 1/N.
// Bucket boundaries depend only on the parameter sizes, so every rank starts the same collectives in the same order.
using System.Diagnostics;
using System.Runtime.Intrinsics;
using ConvNet.Layers;

namespace ConvNet.Distributed;

public sealed class GradientAverager(ICommunicator communicator) : IGradientReducer, ILayerwiseReducer
{
    /// <summary>The most a bucket holds (PyTorch DDP's default): large enough that each collective is bandwidth-bound.</summary>
    public const long MaxBucketBytes = 25L << 20;

    private float[] _buffer = [];
    private IReadOnlyList<Parameter>? _planned;
    private readonly Dictionary<Parameter, int> _offsets = [];
    private readonly Dictionary<Layer, Parameter[]> _layerParameters = []; // Layer.Parameters builds a new list each call
    private readonly List<IPendingSum> _inFlight = [];
    private int _bucketFloats, _launchedEnd, _filledEnd;
    private readonly Stopwatch _waiting = new();

    /// <summary>Wall time blocked in the allreduce after backward (the transfer not hidden behind backward, and waiting
    /// for the slowest rank).</summary>
    public TimeSpan Waiting => _waiting.Elapsed;
    public long Steps { get; private set; }
    /// <summary>Bytes each rank contributes per step.</summary>
    public long BytesPerStep => (long)_buffer.Length * sizeof(float);
    /// <summary>Collectives per step (the buckets).</summary>
    public int BucketsPerStep { get; private set; }

    private void Plan(IReadOnlyList<Parameter> parameters)
    {
        if (ReferenceEquals(parameters, _planned)) return;
        long total = 1;
        foreach (var p in parameters) total += p.Gradient.Length;
        if (total > int.MaxValue) throw new InvalidOperationException($"{total} gradient values do not fit one MPI buffer");
        _buffer = GC.AllocateArray<float>((int)total, pinned: true); // MPI reads it while backward runs
        _offsets.Clear();
        int at = 0;
        for (int i = parameters.Count - 1; i >= 0; i--) // backward order: the last layer's first
        {
            _offsets[parameters[i]] = at;
            at += parameters[i].Gradient.Length;
        }
        // A bucket closes at the first layer boundary once it holds a quarter of all gradients (25 MB at most), so small
        // nets overlap too. Boundaries fall where the layers end: a layer larger than that fills a bucket of its own,
        // which gives 3 buckets for the paper net (fc8+fc7, fc6, the rest), 2 for alexnet-small (fc8 to fc6 hold 90 % of
        // its gradients), 4 for alexnet-micro on Fashion-MNIST (fc8 to fc6, conv5+conv4, conv3, conv2+conv1; 3 on RGB data with few classes); 1 when an engine hands no layers over during backward (the GPU's).
        _bucketFloats = (int)Math.Clamp(total / 4, 1, MaxBucketBytes / sizeof(float));
        _planned = parameters;
        (_launchedEnd, _filledEnd) = (0, 0);
    }

    /// <summary>Before backward: every gradient of this step is yet to come.</summary>
    public void BackwardStarting(IReadOnlyList<Parameter> parameters)
    {
        Plan(parameters);
        (_launchedEnd, _filledEnd) = (0, 0);
        _inFlight.Clear();
    }

    /// <summary>After one layer's backward: its gradients are final; a full bucket starts reducing.</summary>
    public void LayerDone(Layer layer)
    {
        if (!_layerParameters.TryGetValue(layer, out var parameters)) _layerParameters[layer] = parameters = [.. layer.Parameters];
        foreach (var p in parameters) CopyIn(p);
        if (_filledEnd - _launchedEnd >= _bucketFloats) Launch(_filledEnd);
        foreach (var sum in _inFlight) sum.Poll(); // MPI advances a non-blocking collective only inside MPI calls
    }

    public float Average(IReadOnlyList<Parameter> parameters, float localLoss)
    {
        if (!ReferenceEquals(parameters, _planned) || _filledEnd == 0) BackwardStarting(parameters); // no layer-wise calls this step (the GPU engine)
        for (int i = parameters.Count - 1; i >= 0; i--)
            if (_offsets[parameters[i]] >= _filledEnd) CopyIn(parameters[i]);
        _buffer[^1] = localLoss;
        _filledEnd = _buffer.Length;
        Launch(_buffer.Length);
        _waiting.Start();
        try { foreach (var sum in _inFlight) sum.Wait(); }
        finally { _waiting.Stop(); }
        BucketsPerStep = _inFlight.Count;
        _inFlight.Clear();
        Steps++;

        float scale = 1f / communicator.Size;
        foreach (var p in parameters) Scale(_buffer.AsSpan(_offsets[p], p.Gradient.Length), p.Gradient.Span, scale);
        float loss = _buffer[^1] * scale;
        (_launchedEnd, _filledEnd) = (0, 0);
        return loss;
    }

    private void CopyIn(Parameter p)
    {
        int offset = _offsets[p];
        // Backward fills the buffer from the front; a gradient landing in a bucket already sent would be lost.
        if (offset < _launchedEnd) throw new InvalidOperationException($"the gradient of {p.Name} arrived after its bucket was sent");
        p.Gradient.Span.CopyTo(_buffer.AsSpan(offset, p.Gradient.Length));
        _filledEnd = Math.Max(_filledEnd, offset + p.Gradient.Length);
    }

    private void Launch(int end)
    {
        if (end <= _launchedEnd) return;
        _inFlight.Add(communicator.StartSum(_buffer, _launchedEnd, end - _launchedEnd));
        _launchedEnd = end;
    }

    /// <summary>destination = source * scale (244 MB a step for the paper net: vectorised).</summary>
    private static void Scale(ReadOnlySpan<float> source, Span<float> destination, float scale)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= source.Length - 16; i += 16)
                (Vector512.Create(source.Slice(i, 16)) * scale).CopyTo(destination.Slice(i, 16));
        for (; i < source.Length; i++) destination[i] = source[i] * scale;
    }
}
