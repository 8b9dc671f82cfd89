// Runs a network (on the CPU, so every layer's output can be read) over inspection images a batch at a time and
// hands out what any figure needs: class probabilities and the output of a named layer. It is also an IClassifier,
// so the evaluator scores it exactly as `convnet eval` scores a single view.
using ConvNet.Evaluation;
using ConvNet.Kernels.Cpu;
using ConvNet.Layers;
using ConvNet.Models;
using ConvNet.Tensors;
using ConvNet.Threading;

namespace ConvNet.Inspection;

public sealed class NetworkProbe : IClassifier
{
    private readonly Tensor _x;
    private readonly float[] _probabilities;
    private int _rows;
    private int[] _lastIndices = [];

    public Network Network { get; }
    public IInspectionImages Images { get; }

    /// <param name="network">loaded; planned here for <paramref name="batch"/> images on <paramref name="pool"/></param>
    public NetworkProbe(Network network, IInspectionImages images, int batch, WorkerPool pool)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(pool);
        if (batch < 1) throw new ArgumentException($"batch must be at least 1, got {batch}");
        if (images.ClassNames.Count != network.Classes)
            throw new ArgumentException($"{images.Name} has {images.ClassNames.Count} classes, the model {network.Name} has {network.Classes}");
        network.Plan(batch, pool);
        (Network, Images) = (network, images);
        _x = new Tensor([batch, .. network.Spec.InputShape]);
        _probabilities = new float[batch * network.Classes];
    }

    public int Batch => Network.PlannedBatch;
    public int Classes => Network.Classes;

    /// <summary>The layer called <paramref name="name"/>; an unknown name is refused with the names there are.</summary>
    public static Layer FindLayer(Network network, string name) =>
        network.Layers.FirstOrDefault(l => l.Name == name)
        ?? throw new ArgumentException($"--layer {name}: {network.Name} has no layer of that name (layers: {string.Join(", ", network.Layers.Select(l => l.Name))})");

    /// <summary>Runs images <paramref name="indices"/> (at most Batch of them; a short batch is padded by repeating
    /// its first image) through the network.</summary>
    public void Run(ReadOnlySpan<int> indices)
    {
        if (indices.Length < 1 || indices.Length > Batch)
            throw new ArgumentException($"{indices.Length} images for a batch of {Batch}");
        int[] all = new int[Batch];
        for (int i = 0; i < Batch; i++) all[i] = indices[i < indices.Length ? i : 0];
        Images.Fill(all, _x);
        var logits = Network.Forward(_x, training: false);
        for (int n = 0; n < Batch; n++)
            SoftmaxCrossEntropy.Softmax(logits.Sample(n), _probabilities.AsSpan(n * Classes, Classes));
        _rows = indices.Length;
        _lastIndices = indices.ToArray();
    }

    /// <summary>The images of the last Run, row by row.</summary>
    public IReadOnlyList<int> LastIndices => _lastIndices;

    /// <summary>Runs every image, in order, a batch at a time; after each batch <paramref name="visit"/> gets the
    /// index of its first image and its row count (read its outputs with Output and Probabilities).</summary>
    public void RunAll(Action<int, int> visit)
    {
        var indices = new int[Batch];
        for (int start = 0; start < Images.Count; start += Batch)
        {
            int rows = Math.Min(Batch, Images.Count - start);
            for (int i = 0; i < rows; i++) indices[i] = start + i;
            Run(indices.AsSpan(0, rows));
            visit(start, rows);
        }
    }

    /// <summary>Class probabilities of the <paramref name="row"/>-th image of the last Run.</summary>
    public ReadOnlySpan<float> Probabilities(int row) => _probabilities.AsSpan(CheckRow(row) * Classes, Classes);

    /// <summary>The output of <paramref name="layer"/> for the <paramref name="row"/>-th image of the last Run,
    /// flattened (C*H*W for maps). A convolution's output is after its ReLU: the engine rectifies as it writes.</summary>
    public ReadOnlySpan<float> Output(Layer layer, int row) => layer.Output.Sample(CheckRow(row));

    private int CheckRow(int row) => (uint)row < (uint)_rows ? row : throw new ArgumentOutOfRangeException(nameof(row));

    void IClassifier.Probabilities(ReadOnlySpan<int> indices, Span<float> probabilities, Span<int> labels)
    {
        Run(indices);
        _probabilities.AsSpan(0, indices.Length * Classes).CopyTo(probabilities);
        for (int n = 0; n < indices.Length; n++) labels[n] = Images.Label(indices[n]);
    }
}
