// Notices a run that explodes without reaching NaN: a training loss far above chance (3 x ln(classes), where an
// untrained classifier starts) for a whole epoch is warned about with what usually helps, and one that stays there
// and keeps growing in the next epoch is stopped as diverged. The paper net with biases of 1 on a small image folder
// went 28, ..., 1.5 million while the NaN guard waited.
namespace ConvNet.Training;

public sealed record LossVerdict(string? Warning, string? Stop);

public static class ExplodingLoss
{
    public const double ChanceMultiple = 3;

    public static double Threshold(int classes) => ChanceMultiple * Math.Log(Math.Max(classes, 2));

    /// <param name="history">the epochs before <paramref name="latest"/></param>
    /// <param name="resumed">advice for a resumed run (whose recipe cannot change) starts a new run</param>
    public static LossVerdict Judge(IReadOnlyList<EpochMetrics> history, EpochMetrics latest, int classes, TrainConfig config, bool resumed)
    {
        double threshold = Threshold(classes);
        if (!(latest.TrainLoss > threshold)) return new LossVerdict(null, null);
        string chance = FormattableString.Invariant($"chance is ln {classes} = {Math.Log(Math.Max(classes, 2)):F2}");
        string advice = Advice(config, resumed);
        if (history.Count > 0 && history[^1].TrainLoss > threshold && latest.TrainLoss > history[^1].TrainLoss)
            return new LossVerdict(null,
                FormattableString.Invariant($"the training loss stayed far above chance and kept growing ({history[^1].TrainLoss:G4} in epoch {history[^1].Epoch}, ") +
                FormattableString.Invariant($"{latest.TrainLoss:G4} in epoch {latest.Epoch}; {chance}); stopped without saving epoch {latest.Epoch}. {advice}"));
        return new LossVerdict(
            FormattableString.Invariant($"warning: training loss {latest.TrainLoss:G4} in epoch {latest.Epoch} is far above chance ({chance}): the run is exploding. {advice}"), null);
    }

    private static string Advice(TrainConfig config, bool resumed)
    {
        var helps = new List<string>();
        if (config.Model == "alexnet" && config.BiasInit > 0.1f) helps.Add("--bias-init 0.1 (as Caffe does)");
        helps.Add("a lower --lr");
        helps.Add("a larger --batch-size");
        return (resumed ? "Start a new run with " : "What usually helps: ") + string.Join(", ", helps) + ".";
    }
}
