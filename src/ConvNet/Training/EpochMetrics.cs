// One line of the training log: what an epoch achieved.
namespace ConvNet.Training;

public sealed record EpochMetrics(
    int Epoch, long Step, double TrainLoss, double TrainTop1Error, double TrainTop5Error,
    double ValidationTop1Error, double ValidationTop5Error, double ValidationLoss,
    float LearningRate, double ImagesPerSecond, double ElapsedSeconds)
{
    /// <summary>As a model of <paramref name="classes"/> classes reports it: top-5 error is NaN (n/a) with 5 or fewer,
    /// where the true class is always among the top 5. Runs before 2026-11-29 logged 0 there, so a resumed run's older
    /// epochs read "0.00 %" beside newer ones' "n/a".</summary>
    public EpochMetrics ForClasses(int classes) => Evaluation.ClassificationMetrics.Top5Applies(classes) ? this
        : this with { TrainTop5Error = double.NaN, ValidationTop5Error = double.NaN };
}

/// <summary>Running sums of the epoch in progress (saved in mid-epoch checkpoints so a resumed epoch reports the same).</summary>
public sealed record EpochAccumulator(double LossSum, long Batches, long Samples, long Top1Correct, long Top5Correct, double Seconds)
{
    public static EpochAccumulator Empty { get; } = new(0, 0, 0, 0, 0, 0);
}
