// Prepares an announced sequence of batches on a background thread, a few ahead of the training step, in announced
// order. The consumer takes a batch only if it is exactly the next one announced (same indices, seed, augment);
// otherwise the prefetcher is dropped and the batch computed directly, so prefetching never changes results.
using System.Collections.Concurrent;
using ConvNet.Tensors;

namespace ConvNet.Data.Images;

internal sealed class BatchPrefetcher : IDisposable
{
    private sealed class Prepared(Tensor x, int[] labels)
    {
        public Tensor X { get; } = x;
        public int[] Labels { get; } = labels;
        public Exception? Error { get; set; }
    }

    private readonly int[] _order;
    private readonly int _batchSize, _lastBatch;
    private readonly bool _augment;
    private readonly Func<int, ulong> _seedOfBatch;
    private readonly BlockingCollection<Prepared> _free = new();
    private readonly BlockingCollection<Prepared> _ready;
    private readonly CancellationTokenSource _cancel = new();
    private readonly Thread _thread;
    private int _nextBatch;

    /// <summary>Buffers a prefetcher of this depth needs: depth queued + one being prepared + one being copied out.</summary>
    public static int BuffersFor(int depth) => depth + 2;

    /// <param name="buffers">BuffersFor(depth) batch tensors and label arrays, owned by the caller and reused across
    /// epochs (a paper-sized batch is tens of megabytes)</param>
    public BatchPrefetcher(ImageBatchSource source, int[] order, int batchSize, int firstBatch, int batches, bool augment,
        Func<int, ulong> seedOfBatch, int depth, (Tensor X, int[] Labels)[] buffers)
    {
        (_order, _batchSize, _nextBatch, _lastBatch, _augment, _seedOfBatch) = (order, batchSize, firstBatch, batches, augment, seedOfBatch);
        _ready = new BlockingCollection<Prepared>(depth);
        if (buffers.Length != BuffersFor(depth)) throw new ArgumentException($"a prefetcher of depth {depth} needs {BuffersFor(depth)} buffers");
        foreach (var (x, labels) in buffers) _free.Add(new Prepared(x, labels));
        _thread = new Thread(() => Produce(source, firstBatch)) { IsBackground = true, Name = "convnet batch prefetch" };
        _thread.Start();
    }

    /// <summary>Copies the next announced batch into x/labels if the request is that batch; false otherwise.</summary>
    public bool TryTake(ReadOnlySpan<int> indices, bool augment, ulong seed, Tensor x, Span<int> labels)
    {
        if (_nextBatch >= _lastBatch || augment != _augment || indices.Length != _batchSize || seed != _seedOfBatch(_nextBatch)
            || !indices.SequenceEqual(_order.AsSpan(_nextBatch * _batchSize, _batchSize)))
            return false;
        // The producer marks the queue complete when it stops for any reason; a batch it never made is then
        // computed by the caller instead of waited for.
        if (!_ready.TryTake(out var prepared, Timeout.Infinite, _cancel.Token)) return false;
        _nextBatch++;
        try
        {
            if (prepared.Error is { } error) throw error is DataException d ? new DataException(d.Message, d) : new InvalidOperationException("batch prefetch failed", error);
            x.CopyFrom(prepared.X.Span);
            prepared.Labels.CopyTo(labels);
            return true;
        }
        finally
        {
            _free.Add(prepared);
        }
    }

    private void Produce(ImageBatchSource source, int firstBatch)
    {
        try
        {
            for (int b = firstBatch; b < _lastBatch; b++)
            {
                var prepared = _free.Take(_cancel.Token);
                try
                {
                    source.FillDirect(_order[(b * _batchSize)..((b + 1) * _batchSize)], prepared.X, prepared.Labels, _augment, _seedOfBatch(b));
                    prepared.Error = null;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    prepared.Error = e;
                }
                _ready.Add(prepared, _cancel.Token);
            }
        }
        catch (OperationCanceledException) { }
        finally
        {
            _ready.CompleteAdding();
        }
    }

    public void Dispose()
    {
        _cancel.Cancel();
        _thread.Join();
        _cancel.Dispose();
        _free.Dispose();
        _ready.Dispose();
    }
}
