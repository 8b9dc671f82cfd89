// The paper's ensembles: the members' softmax outputs averaged with equal weight (5 and 7 nets in the paper).
namespace ConvNet.Evaluation;

public sealed class Ensemble : IClassifier
{
    private readonly IClassifier[] _members;
    private readonly float[] _memberProbabilities;
    private readonly int[] _memberLabels;

    public Ensemble(IReadOnlyList<IClassifier> members)
    {
        if (members.Count == 0) throw new ArgumentException("an ensemble needs at least one member");
        if (members.Any(m => m.Classes != members[0].Classes || m.Batch != members[0].Batch))
            throw new ArgumentException($"ensemble members must agree on classes and batch: {string.Join(", ", members.Select(m => $"{m.Classes} classes/batch {m.Batch}"))}");
        _members = [.. members];
        _memberProbabilities = new float[Batch * Classes];
        _memberLabels = new int[Batch];
    }

    public int Classes => _members[0].Classes;
    public int Batch => _members[0].Batch;

    public void Probabilities(ReadOnlySpan<int> indices, Span<float> probabilities, Span<int> labels)
    {
        int length = indices.Length * Classes;
        _members[0].Probabilities(indices, probabilities, labels);
        for (int m = 1; m < _members.Length; m++)
        {
            _members[m].Probabilities(indices, _memberProbabilities, _memberLabels);
            if (!_memberLabels.AsSpan(0, indices.Length).SequenceEqual(labels[..indices.Length]))
                throw new InvalidOperationException("ensemble members read different labels for the same images");
            for (int i = 0; i < length; i++) probabilities[i] += _memberProbabilities[i];
        }
        float scale = 1f / _members.Length;
        for (int i = 0; i < length; i++) probabilities[i] *= scale;
    }
}
