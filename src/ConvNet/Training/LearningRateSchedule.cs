// Learning-rate schedules. plateau: the paper's rule, divide by 10 when validation error stops improving;
// step: multiply by gamma every StepSize epochs; cosine: anneal from the base rate to 0 over all steps.
namespace ConvNet.Training;

/// <summary>The schedule's memory, saved in checkpoints.</summary>
/// <param name="BestValidationError">the lowest validation error so far (best.json's)</param>
/// <param name="PlateauBest">plateau: the error the next epoch must beat by the relative threshold, which moves only on
/// such an improvement (PyTorch's best); null in checkpoints saved before it was kept: BestValidationError</param>
public sealed record ScheduleState(float LearningRate, double BestValidationError, int EpochsWithoutImprovement, int Reductions,
    double? PlateauBest = null);

public static class LearningRateSchedule
{
    /// <summary>plateau: a reduction that would change the rate by no more than this is skipped (PyTorch's eps).</summary>
    public const float SmallestCut = 1e-8f;

    /// <summary>plateau: an epoch improves when its error is below best * (1 - this) (PyTorch's default threshold, mode
    /// rel); a smaller gain (one image of a 50,000-image validation set at 40 % error) does not reset the patience.</summary>
    public const double PlateauThreshold = 1e-4;

    public static ScheduleState Start(TrainConfig c) => new(c.LearningRate, double.PositiveInfinity, 0, 0);

    /// <summary>The rate for a step (cosine changes every step; the others only at epoch ends).</summary>
    public static float ForStep(TrainConfig c, ScheduleState s, long step, long totalSteps) =>
        c.Schedule == "cosine" && totalSteps > 0
            ? (float)(c.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * Math.Min(step, totalSteps) / totalSteps)))
            : s.LearningRate;

    /// <summary>Updates the state after epoch <paramref name="epoch"/> (1-based) ended with this validation error.</summary>
    public static ScheduleState AfterEpoch(TrainConfig c, ScheduleState s, int epoch, double validationError)
    {
        bool improved = validationError < s.BestValidationError;
        double best = improved ? validationError : s.BestValidationError;
        switch (c.Schedule)
        {
            case "plateau":
                double plateauBest = s.PlateauBest ?? s.BestValidationError;
                if (validationError < plateauBest * (1 - PlateauThreshold))
                    return s with { BestValidationError = best, PlateauBest = validationError, EpochsWithoutImprovement = 0 };
                if (double.IsNaN(validationError)) return s with { BestValidationError = best, PlateauBest = plateauBest, EpochsWithoutImprovement = 0 };
                // Patience counts the epochs that trigger the cut: PyTorch's ReduceLROnPlateau(patience=p) is --patience p+1.
                int waited = s.EpochsWithoutImprovement + 1;
                if (waited < c.Patience) return s with { BestValidationError = best, PlateauBest = plateauBest, EpochsWithoutImprovement = waited };
                // As PyTorch's eps: a cut smaller than this changes nothing worth a step (rates used to reach 1e-44).
                float reduced = s.LearningRate * c.Gamma;
                return Math.Abs(s.LearningRate - reduced) > SmallestCut
                    ? new ScheduleState(reduced, best, 0, s.Reductions + 1, plateauBest)
                    : s with { BestValidationError = best, PlateauBest = plateauBest, EpochsWithoutImprovement = 0 };
            case "step":
                return epoch % c.StepSize == 0
                    ? new ScheduleState(s.LearningRate * c.Gamma, best, 0, s.Reductions + 1)
                    : s with { BestValidationError = best };
            default:
                return s with { BestValidationError = best };
        }
    }
}
