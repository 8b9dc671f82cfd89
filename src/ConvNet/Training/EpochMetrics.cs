// One line of the training log: what an epoch achieved.
namespace ConvNet.Training;

public sealed record EpochMetrics(
    int Epoch, long Step, double TrainLoss, double TrainTop1Error, double TrainTop5Error,
    double ValidationTop1Error, double ValidationTop5Error, double ValidationLoss,
    float LearningRate, double ImagesPerSecond, double ElapsedSeconds);

/// <summary>Running sums of the epoch in progress (saved in mid-epoch checkpoints so a resumed epoch reports the same).</summary>
public sealed record EpochAccumulator(double LossSum, long Batches, long Samples, long Top1Correct, long Top5Correct, double Seconds)
{
    public static EpochAccumulator Empty { get; } = new(0, 0, 0, 0, 0, 0);
}
