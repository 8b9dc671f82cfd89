// Runs a network in evaluation mode over a whole dataset in batches of the planned size. The last, partial
// batch is padded by repeating its first image; padded rows are not counted.
using ConvNet.Data;
using ConvNet.Models;
using ConvNet.Tensors;
using ConvNet.Training;

namespace ConvNet.Evaluation;

public sealed record EvaluationResult(ClassificationMetrics Metrics, double MeanLoss);

public sealed class Evaluator
{
    private readonly Network _network;
    private readonly Tensor _x;
    private readonly int[] _labels;
    private readonly int[] _indices;
    private readonly CrossEntropyLoss _loss = new();

    /// <param name="network">already planned (Plan(batch, pool))</param>
    public Evaluator(Network network)
    {
        if (network.PlannedBatch == 0) throw new InvalidOperationException("plan the network before evaluating");
        _network = network;
        _x = new Tensor([network.PlannedBatch, .. network.Spec.InputShape]);
        _labels = new int[network.PlannedBatch];
        _indices = new int[network.PlannedBatch];
    }

    public EvaluationResult Run(IBatchSource data, Action<int, int>? progress = null)
    {
        var metrics = new ClassificationMetrics(_network.Classes);
        int batch = _network.PlannedBatch;
        double lossSum = 0;
        for (int start = 0; start < data.Count; start += batch)
        {
            int rows = Math.Min(batch, data.Count - start);
            for (int i = 0; i < batch; i++) _indices[i] = start + (i < rows ? i : 0);
            data.Fill(_indices, _x, _labels, augment: false, seed: 0);
            var logits = _network.Forward(_x, training: false);
            lossSum += _loss.Forward(logits, _labels) * batch - PaddingLoss(rows, batch);
            metrics.Add(logits.Span, _labels, rows);
            progress?.Invoke(start + rows, data.Count);
        }
        return new EvaluationResult(metrics, data.Count == 0 ? double.NaN : lossSum / data.Count);
    }

    // The padded rows repeat the batch's first image, so each adds that image's loss to the batch total.
    private double PaddingLoss(int rows, int batch)
    {
        if (rows == batch) return 0;
        var p = _loss.Probabilities.Sample(0);
        return (batch - rows) * -Math.Log(Math.Max(p[_labels[0]], float.Epsilon));
    }
}
