// The library's front door for classifying pictures: open a checkpoint (trained run or imported model), hand it
// JPEG/PNG files or bytes, get the most likely classes. The same preprocessing and answers as `convnet predict`.
using ConvNet.Evaluation;
using ConvNet.Kernels.Cpu;
using ConvNet.Models;
using ConvNet.Tensors;
using ConvNet.Threading;
using ConvNet.Training;

namespace ConvNet.Inference;

/// <summary>One class of an answer: its index, name and probability.</summary>
public readonly record struct ClassProbability(int Index, string Name, float Probability);

/// <summary>A checkpoint ready to classify one image at a time on the CPU. Safe to share between threads, but calls
/// are serialised (one forward pass at a time, each on <c>threads</c> cores): for parallel throughput, open one
/// classifier per thread. After <see cref="Dispose"/> every member throws <see cref="ObjectDisposedException"/>.</summary>
public sealed class ImageClassifier : IDisposable
{
    private readonly Network _network;
    private readonly WorkerPool _pool;
    private readonly Tensor _x;
    private readonly float[] _probabilities;
    private readonly ImageInput _input;
    private readonly IReadOnlyList<string> _classNames;
    private readonly string _source; // the checkpoint, for messages
    // Guards _x, _probabilities, the network's planned buffers and the pool: one Classify at a time, and Dispose waits
    // for the one running.
    private readonly Lock _gate = new();
    private bool _disposed;

    private ImageClassifier(Network network, ImageInput input, string[] classNames, int threads, string source)
    {
        (_network, _input, _source) = (network, input, source);
        // A copy behind a read-only view: a caller casting to string[] cannot rename the classes of later answers.
        _classNames = Array.AsReadOnly(classNames.ToArray());
        _pool = new WorkerPool(threads);
        network.Plan(1, _pool);
        _x = new Tensor([1, .. network.Spec.InputShape]);
        _probabilities = new float[network.Classes];
    }

    /// <summary>How an image becomes the model's input (its Description says so in words), as predict does it.</summary>
    public ImageInput Input => Alive(_input);
    /// <summary>The model's classes, by output index.</summary>
    public IReadOnlyList<string> ClassNames => Alive(_classNames);
    /// <summary>The registered model name (alexnet, alexnet-small, ...) or an imported graph's.</summary>
    public string ModelName => Alive(_network).Name;

    /// <param name="checkpoint">a run folder, a checkpoint .json, or an imported model's folder</param>
    /// <param name="threads">CPU threads of a forward pass: 1 to WorkerPool.MaxWorkers, or 0 for one per core</param>
    /// <exception cref="ArgumentNullException"><paramref name="checkpoint"/> is null</exception>
    /// <exception cref="ArgumentException"><paramref name="checkpoint"/> is empty</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is negative or above WorkerPool.MaxWorkers
    /// (checked before anything is loaded)</exception>
    /// <exception cref="CheckpointException">no checkpoint there (a missing path included), or a damaged one: the message
    /// names the file and what is wrong</exception>
    public static ImageClassifier Open(string checkpoint, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        // "": Checkpoints.Open said ": checkpoint not found", naming nothing.
        if (checkpoint.Length == 0)
            throw new ArgumentException("an empty path names no checkpoint: give a run folder, a checkpoint .json or an imported model's folder", nameof(checkpoint));
        if (threads < 0 || threads > WorkerPool.MaxWorkers)
            throw new ArgumentOutOfRangeException(nameof(threads), threads, $"threads must be 1..{WorkerPool.MaxWorkers}, or 0 for one per core");
        var loaded = Checkpoints.Open(checkpoint);
        var paper = loaded.Info.Preprocessing is null ? null : Checkpoints.LoadPreprocessing(loaded);
        return new ImageClassifier(Checkpoints.LoadNetwork(loaded), ImageInput.For(loaded.Info, paper), loaded.Info.ClassNames,
            threads > 0 ? threads : Environment.ProcessorCount, loaded.SidecarPath);
    }

    /// <summary>The <paramref name="top"/> most likely classes of a JPEG or PNG file, most likely first.</summary>
    /// <param name="top">1 to the number of classes; null: 5, or every class when there are fewer</param>
    /// <exception cref="FileNotFoundException">no such file, or a folder in its place (the message says which)</exception>
    /// <exception cref="InvalidDataException">it cannot be read, or is not a usable JPEG or PNG (the message says why)</exception>
    public IReadOnlyList<ClassProbability> Classify(string imagePath, int? top = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(imagePath);
        // A folder gave "Access to the path is denied"; a missing file .NET's own words.
        byte[] encoded = IO.InputFile.ReadNamedFile(imagePath, "an image file", Data.Images.EncodedImageFile.MaxFileBytes);
        return Classify(encoded, top, imagePath);
    }

    /// <summary>As <see cref="Classify(string, int?)"/>, for an image in memory.</summary>
    /// <exception cref="InvalidDataException">not a usable JPEG or PNG (the message says why)</exception>
    /// <exception cref="ArgumentOutOfRangeException">top below 1 or above the number of classes</exception>
    /// <exception cref="InvalidOperationException">the network's outputs are NaN (its weights overflow)</exception>
    public IReadOnlyList<ClassProbability> Classify(byte[] encoded, int? top = null, string name = "image")
    {
        // First, as the class doc says (then again under the lock, where a Dispose in between is seen).
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(encoded);
        ArgumentNullException.ThrowIfNull(name);
        // As predict's --top: a number the model cannot give is refused rather than quietly cut to the class count.
        if (top is < 1 || top > _classNames.Count)
            throw new ArgumentOutOfRangeException(nameof(top), $"top {top}: the model has {_classNames.Count} classes; give 1..{_classNames.Count}");
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_input.TryWrite(encoded, _x.Span) is { } reason) throw new InvalidDataException($"{name}: {reason}");
            SoftmaxCrossEntropy.Softmax(_network.Forward(_x, training: false).Sample(0), _probabilities);
            if (NonFiniteOutputs.Any(_probabilities)) throw new InvalidOperationException(NonFiniteOutputs.Message(_source, name));
            return TopK.Best(_probabilities, top ?? Math.Min(5, _probabilities.Length))
                .Select(k => new ClassProbability(k, _classNames[k], _probabilities[k])).ToList();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _pool.Dispose();
        }
        GC.SuppressFinalize(this);
    }

    // One left undisposed kept its worker threads, and through them its network, for the life of the process (200
    // undisposed classifiers held 200 threads and 570 MB). Nothing else refers to the classifier, so once collected
    // it ends its pool's idle threads.
    // (Null when the pool's constructor threw: a finalizer runs after a failed constructor too.)
    ~ImageClassifier() => _pool?.Dispose();

    internal WorkerPool Pool => _pool;

    private T Alive<T>(T value)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return value;
    }
}
