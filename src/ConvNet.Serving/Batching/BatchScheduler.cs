// Dynamic batching. Requests decode their images on their own threads, then queue them here; one worker thread takes
// up to MaxBatch queued images into a single forward pass. It waits for more (up to MaxDelay after the first image
// arrived, or after the previous pass ended) only while other requests are still decoding, or, within MaxDelay of the
// previous pass's end, while clients it answered on kept-alive connections have not sent their next image (a
// closed-loop client is back within milliseconds): a lone request runs at once instead of sitting out the delay.
// How many it takes follows each planned size's measured forward time (NetworkLadder.ImagesToTake): timed once at
// start-up (which also packs the weights before the first request), then a moving average of the real passes, which
// share the cores with decoding.
// Only the worker touches the networks, so their planned buffers are never shared between threads.
using System.Diagnostics;
using ConvNet.Devices;
using ConvNet.Evaluation;
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
    // Seconds of a pass at each planned size (NaN: not measured yet): written by the worker, read under _gate.
    private readonly double[] _passSeconds;
    private readonly ManualResetEventSlim _warmed = new(false);
    private Exception? _warmUpFailure;
    // The client connections the last pass answered (ClientConnections): until they are back or closed, and only
    // within MaxDelay of that pass's end, a pass waits for them.
    private readonly List<ClientMark> _answered = [];
    private int _decoding;
    private long _enqueued;
    private bool _stopping;

    /// <param name="warmUp">time every planned size at start-up (the constructor returns when done, or throws what a
    /// forward pass threw); without it the sizes are timed by the passes requests make</param>
    public BatchScheduler(NetworkLadder networks, TimeSpan maxDelay, int capacity, ServerMetrics metrics, bool warmUp = true)
    {
        (_networks, _maxDelay, _capacity, _metrics) = (networks, maxDelay, capacity, metrics);
        _passSeconds = new double[networks.Sizes.Length];
        Array.Fill(_passSeconds, double.NaN);
        foreach (int size in networks.Sizes)
        {
            var network = networks.For(size);
            _inputs[network] = new Tensor([size, .. network.Spec.InputShape]);
        }
        _worker = new Thread(() => Run(warmUp)) { IsBackground = true, Name = "convnet-batcher" };
        _worker.Start();
        _warmed.Wait();
        if (_warmUpFailure is not null)
        {
            _worker.Join();
            _warmed.Dispose();
            throw new InvalidOperationException($"the model failed its first forward pass: {_warmUpFailure.Message}", _warmUpFailure);
        }
    }

    /// <summary>Each planned size's forward time in milliseconds as the batcher last estimated it (NaN: not yet run).</summary>
    public double[] PassMilliseconds()
    {
        lock (_gate) return _passSeconds.Select(s => s * 1000).ToArray();
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
    /// <param name="client">the request's connection (ClientConnections.Of), if known</param>
    public IDisposable Decoding(ClientMark? client = null)
    {
        lock (_gate)
        {
            _decoding++;
            if (client is not null) client.Busy = true;
        }
        return new DecodeTicket(this);
    }

    /// <summary>A client connection closed: it will not be back.</summary>
    public void ClientClosed(ClientMark client)
    {
        lock (_gate)
        {
            client.Closed = true;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Clients the last pass answered that have neither sent their next image nor closed their connection.</summary>
    public int ClientsAway
    {
        get { lock (_gate) return Away(); }
    }

    private int Away()
    {
        int away = 0;
        foreach (var client in _answered)
            if (!client.Busy && !client.Closed) away++;
        return away;
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

    private void Run(bool warmUp)
    {
        try
        {
            if (warmUp) WarmUp();
        }
        catch (Exception e)
        {
            _warmUpFailure = e;
            _warmed.Set();
            return;
        }
        _warmed.Set();
        var batch = new List<InferenceJob>(MaxBatch);
        while (TakeBatch(batch)) RunBatch(batch);
    }

    // The faster of two passes per size (the first may still pack weights or touch fresh pages).
    private void WarmUp()
    {
        for (int i = 0; i < _networks.Sizes.Length; i++)
        {
            var network = _networks.For(_networks.Sizes[i]);
            var x = _inputs[network];
            double best = double.MaxValue;
            for (int pass = 0; pass < 2; pass++)
            {
                long start = Stopwatch.GetTimestamp();
                network.Forward(x, training: false);
                best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
            lock (_gate) _passSeconds[i] = best;
        }
    }

    // Real passes (the copy into the input tensor and the forward) move the estimate a fifth of the way: it follows
    // the load without jumping at one slow pass.
    private void RecordPassTime(int i, double seconds)
    {
        lock (_gate) _passSeconds[i] = double.IsNaN(_passSeconds[i]) ? seconds : 0.8 * _passSeconds[i] + 0.2 * seconds;
    }

    // Blocks until a batch is ready; false once stopping with nothing left (queued work is drained first).
    private bool TakeBatch(List<InferenceJob> batch)
    {
        batch.Clear();
        long free = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            while (_queue.Count == 0)
            {
                if (_stopping) return false;
                Monitor.Wait(_gate);
            }
            // The delay runs from when the batch could have started: the first image's arrival, or the end of the
            // previous pass when images queued during it. Counting from their arrival instead sent the few images
            // that arrived during a long pass off alone, at once, while the many that pass had just answered were
            // still decoding; under a closed-loop load the passes then alternated large and tiny, each tiny one
            // costing nearly as much as a large one.
            long first = Math.Max(_queue.Peek().EnqueuedAt, free);
            while (_queue.Count < MaxBatch && !_stopping)
            {
                // Images being decoded are waited for from the first image's arrival; the clients the last pass
                // answered only from that pass's end (one that is not back by then is not in a closed loop).
                TimeSpan left;
                if (_decoding > 0) left = _maxDelay - Stopwatch.GetElapsedTime(first);
                else if (Away() > 0) left = _maxDelay - Stopwatch.GetElapsedTime(free);
                else break;
                if (left <= TimeSpan.Zero) break;
                Monitor.Wait(_gate, left);
            }
            int take = NetworkLadder.ImagesToTake(_networks.Sizes, _passSeconds, Math.Min(_queue.Count, MaxBatch));
            while (batch.Count < take) batch.Add(_queue.Dequeue());
            _metrics.SetQueueDepth(_queue.Count);
        }
        return true;
    }

    private void RunBatch(List<InferenceJob> batch)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            int planned = _networks.IndexFor(batch.Count);
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
            RecordPassTime(planned, forward.TotalSeconds);
            Answered(batch);
            for (int n = 0; n < batch.Count; n++)
            {
                var job = batch[n];
                var probabilities = new float[network.Classes];
                SoftmaxCrossEntropy.Softmax(logits.Sample(n), probabilities);
                if (NonFiniteOutputs.Any(probabilities))
                {
                    job.Fail(new NonFiniteOutputException(NonFiniteOutputs.Message("the served model", "this image")));
                    continue;
                }
                job.Complete(new InferenceResult(probabilities, Layers(network, job, n), job.WaitedUntil(start), forward, batch.Count));
            }
        }
        catch (Exception e)
        {
            // A failing forward pass answers its requests with the error; the worker carries on with the next batch.
            Answered(batch);
            foreach (var job in batch)
            {
                job.ReleaseSample();
                job.Fail(e);
            }
        }
    }

    // Before the answers go out: from now on their clients may send again.
    private void Answered(List<InferenceJob> batch)
    {
        lock (_gate)
        {
            _answered.Clear();
            foreach (var job in batch)
                if (job.Client is { } client)
                {
                    client.Busy = false;
                    _answered.Add(client);
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
        _warmed.Dispose();
    }
}
