// Dynamic batching. Requests decode their images on their own threads, then queue them here; one worker thread takes
// up to MaxBatch queued images into a single forward pass. It waits for more (up to MaxDelay after the first image
// arrived) only while other requests are still decoding: a lone request runs at once instead of sitting out the delay.
// Only the worker touches the networks, so their planned buffers are never shared between threads.
using System.Diagnostics;
using ConvNet.Devices;
using ConvNet.Kernels.Cpu;
using ConvNet.Models;
using ConvNet.Tensors;

namespace ConvNet.Serving.Batching;

public sealed class BatchScheduler : IDisposable
{
    private readonly NetworkLadder _networks;
    private readonly TimeSpan _maxDelay;
    private readonly int _capacity;
    private readonly ServerMetrics _metrics;
    private readonly Dictionary<IForwardNetwork, Tensor> _inputs = [];
    private readonly Queue<InferenceJob> _queue = new();
    private readonly object _gate = new();
    private readonly Thread _worker;
    private int _decoding;
    private long _enqueued;
    private bool _stopping;

    public BatchScheduler(NetworkLadder networks, TimeSpan maxDelay, int capacity, ServerMetrics metrics)
    {
        (_networks, _maxDelay, _capacity, _metrics) = (networks, maxDelay, capacity, metrics);
        foreach (int size in networks.Sizes)
        {
            var network = networks.For(size);
            _inputs[network] = new Tensor([size, .. network.Spec.InputShape]);
        }
        _worker = new Thread(Run) { IsBackground = true, Name = "convnet-batcher" };
        _worker.Start();
    }

    public int MaxBatch => _networks.MaxBatch;

    /// <summary>Images that may wait at once.</summary>
    public int Capacity => _capacity;

    public int[] PlannedBatches => _networks.Sizes;

    /// <summary>Whether layer outputs can be read after a forward pass (networks on the CPU).</summary>
    public bool HasLayerOutputs => _networks.Smallest is Network;

    /// <summary>Images accepted into the queue since the start.</summary>
    public long Enqueued { get { lock (_gate) return _enqueued; } }

    /// <summary>Images queued and not yet in a forward pass.</summary>
    public int QueueDepth { get { lock (_gate) return _queue.Count; } }

    /// <summary>Tells the batcher an image is being decoded (more work is coming); dispose when it is queued or failed.</summary>
    public IDisposable Decoding()
    {
        lock (_gate) _decoding++;
        return new DecodeTicket(this);
    }

    /// <returns>false when the queue is full (the caller answers 503) or the server is stopping</returns>
    public bool TryEnqueue(InferenceJob job)
    {
        lock (_gate)
        {
            if (_stopping || _queue.Count >= _capacity) return false;
            job.EnqueuedAt = Stopwatch.GetTimestamp();
            _queue.Enqueue(job);
            _enqueued++;
            _metrics.SetQueueDepth(_queue.Count);
            Monitor.PulseAll(_gate);
            return true;
        }
    }

    private void DecodeFinished()
    {
        lock (_gate)
        {
            _decoding--;
            Monitor.PulseAll(_gate);
        }
    }

    private sealed class DecodeTicket(BatchScheduler owner) : IDisposable
    {
        private int _disposed;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) owner.DecodeFinished();
        }
    }

    private void Run()
    {
        var batch = new List<InferenceJob>(MaxBatch);
        while (TakeBatch(batch)) RunBatch(batch);
    }

    // Blocks until a batch is ready; false once stopping with nothing left (queued work is drained first).
    private bool TakeBatch(List<InferenceJob> batch)
    {
        batch.Clear();
        lock (_gate)
        {
            while (_queue.Count == 0)
            {
                if (_stopping) return false;
                Monitor.Wait(_gate);
            }
            long first = _queue.Peek().EnqueuedAt;
            while (_queue.Count < MaxBatch && _decoding > 0 && !_stopping)
            {
                var left = _maxDelay - Stopwatch.GetElapsedTime(first);
                if (left <= TimeSpan.Zero) break;
                Monitor.Wait(_gate, left);
            }
            while (batch.Count < MaxBatch && _queue.Count > 0) batch.Add(_queue.Dequeue());
            _metrics.SetQueueDepth(_queue.Count);
        }
        return true;
    }

    private void RunBatch(List<InferenceJob> batch)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            var network = _networks.For(batch.Count);
            var x = _inputs[network];
            for (int n = 0; n < batch.Count; n++)
            {
                var row = x.Sample(n);
                batch[n].Sample.AsSpan(0, row.Length).CopyTo(row);
                batch[n].ReleaseSample();
            }
            // Rows past the batch keep an earlier request's image: harmless (their outputs are never read), and
            // clearing them would cost as much as copying.
            var logits = network.Forward(x, training: false);
            var forward = Stopwatch.GetElapsedTime(start);
            _metrics.RecordBatch(batch.Count, forward);
            for (int n = 0; n < batch.Count; n++)
            {
                var job = batch[n];
                var probabilities = new float[network.Classes];
                SoftmaxCrossEntropy.Softmax(logits.Sample(n), probabilities);
                job.Complete(new InferenceResult(probabilities, Layers(network, job, n), job.WaitedUntil(start), forward, batch.Count));
            }
        }
        catch (Exception e)
        {
            // A failing forward pass answers its requests with the error; the worker carries on with the next batch.
            foreach (var job in batch)
            {
                job.ReleaseSample();
                job.Fail(e);
            }
        }
    }

    private static IReadOnlyList<LayerActivation> Layers(IForwardNetwork network, InferenceJob job, int n)
    {
        if (job.Extract == Extract.Probabilities) return [];
        if (network is not Network host) throw new InvalidOperationException("layer outputs are only readable on the CPU device");
        if (job.Extract == Extract.Layer) return [Activation(host.Layers[job.LayerIndex], n)];
        return host.Layers.Select(layer => Activation(layer, n)).ToList();
    }

    private static LayerActivation Activation(ConvNet.Layers.Layer layer, int n) =>
        new(layer.Name, layer.Kind, layer.Output.Shape[1..], layer.Output.Sample(n).ToArray());

    /// <summary>Stops taking new images, finishes those queued, and waits for the worker.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }
        _worker.Join();
    }
}
