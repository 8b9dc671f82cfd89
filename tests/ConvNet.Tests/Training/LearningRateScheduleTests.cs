// The plateau schedule against PyTorch's ReduceLROnPlateau (mode min, factor 0.1, threshold 1e-4 rel, eps 1e-8). The
// expected rates were recorded with torch 1.13 by:
//   opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.01)
//   s = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode='min', factor=0.1, patience=p)
//   for e in Errors: s.step(e); print(opt.param_groups[0]['lr'])
// The errors of the first test move in whole points; the second's by less than the relative threshold.
using ConvNet.Training;

namespace ConvNet.Tests.Training;

public sealed class LearningRateScheduleTests
{
    private static readonly double[] Errors =
        [95, 87, 78, 75, 67, 65, 60, 73, 69, 66, 67, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85];

    // The rate in force after each epoch, as exponents of ten.
    private static readonly int[] PyTorchPatience0 = [-2, -2, -2, -2, -2, -2, -2, -3, -4, -5, -6, -7, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8];
    private static readonly int[] PyTorchPatience1 = [-2, -2, -2, -2, -2, -2, -2, -2, -3, -3, -4, -4, -5, -5, -6, -6, -7, -7, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8, -8];

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void PlateauWithPatiencePPlusOneCutsWherePyTorchsPatiencePDoes(int pytorchPatience)
    {
        var config = new TrainConfig { LearningRate = 0.01f, Schedule = "plateau", Gamma = 0.1f, Patience = pytorchPatience + 1 };
        var expected = pytorchPatience == 0 ? PyTorchPatience0 : PyTorchPatience1;
        var state = LearningRateSchedule.Start(config);
        for (int epoch = 1; epoch <= Errors.Length; epoch++)
        {
            state = LearningRateSchedule.AfterEpoch(config, state, epoch, Errors[epoch - 1]);
            Assert.True(Math.Abs(state.LearningRate / Math.Pow(10, expected[epoch - 1]) - 1) < 1e-5,
                $"after epoch {epoch}: {state.LearningRate} against PyTorch's 1e{expected[epoch - 1]}");
        }
        Assert.Equal(6, state.Reductions); // 1e-2 to 1e-8, then no cut smaller than eps
    }

    // Gains below PyTorch's relative threshold (1e-4 of the best) are not improvements; recorded by the script above
    // with these errors.
    private static readonly double[] TinyGains = [0.40000, 0.39998, 0.39996, 0.39994, 0.39992, 0.39991, 0.3999, 0.39, 0.38999];
    private static readonly double[] TinyGainsPatience0 = [0.01, 0.001, 0.001, 0.0001, 0.0001, 1e-05, 1e-06, 1e-06, 1e-07];
    private static readonly double[] TinyGainsPatience1 = [0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.001, 0.001, 0.001];

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void PlateauCountsOnlyGainsAboveTheRelativeThresholdAsPyTorchDoes(int pytorchPatience)
    {
        var config = new TrainConfig { LearningRate = 0.01f, Schedule = "plateau", Gamma = 0.1f, Patience = pytorchPatience + 1 };
        var expected = pytorchPatience == 0 ? TinyGainsPatience0 : TinyGainsPatience1;
        var state = LearningRateSchedule.Start(config);
        for (int epoch = 1; epoch <= TinyGains.Length; epoch++)
        {
            state = LearningRateSchedule.AfterEpoch(config, state, epoch, TinyGains[epoch - 1]);
            Assert.True(Math.Abs(state.LearningRate / expected[epoch - 1] - 1) < 1e-5, $"after epoch {epoch}: {state.LearningRate} against PyTorch's {expected[epoch - 1]}");
        }
        // best.json still follows every gain, however small.
        Assert.Equal(0.38999, state.BestValidationError);
    }

    [Fact]
    public void AStateSavedBeforeThePlateauBestWasKeptStartsFromTheBestError()
    {
        var config = new TrainConfig { LearningRate = 0.01f, Schedule = "plateau", Gamma = 0.1f, Patience = 1 };
        var old = new ScheduleState(0.01f, 0.40000, 0, 0);
        Assert.Equal(0.001f, LearningRateSchedule.AfterEpoch(config, old, 2, 0.39998).LearningRate, 6);
        Assert.Equal(0.01f, LearningRateSchedule.AfterEpoch(config, old, 2, 0.39).LearningRate, 6);
    }
}
