// Anything that turns a batch of a dataset's images into class probabilities: one network on one view, one network
// averaged over the paper's 10 crops, or an ensemble of networks averaged. ProbabilityEvaluator scores any of them.
namespace ConvNet.Evaluation;

public interface IClassifier
{
    int Classes { get; }
    /// <summary>Images per call (the planned batch of the networks).</summary>
    int Batch { get; }
    /// <summary>probabilities [indices.Length, Classes] (each row sums to 1) and the images' labels. indices.Length == Batch.</summary>
    void Probabilities(ReadOnlySpan<int> indices, Span<float> probabilities, Span<int> labels);
}
