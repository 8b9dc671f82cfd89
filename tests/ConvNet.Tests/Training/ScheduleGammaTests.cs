// --gamma is the factor of each reduction. With plateau a factor of 1 or more held or raised the rate each time the
// validation error stopped improving, and was accepted (PyTorch's ReduceLROnPlateau requires factor < 1); step takes
// any positive factor, as StepLR does, and never took 0 or less. Runs saved with a plateau factor >= 1 still resume.
using ConvNet.Tests.Support;
using ConvNet.Training;

namespace ConvNet.Tests.Training;

public sealed class ScheduleGammaTests
{
    [Theory]
    [InlineData(1f)]
    [InlineData(2f)]
    public void PlateauRefusesAFactorThatDoesNotReduce(float gamma)
    {
        var e = Assert.Throws<ArgumentException>(new TrainConfig { Schedule = "plateau", Gamma = gamma }.Validate);
        Assert.Contains("--gamma must be below 1 with --schedule plateau", e.Message);
        new TrainConfig { Schedule = "plateau", Gamma = 0.5f }.Validate();
    }

    [Theory]
    [InlineData("step", 0f)]
    [InlineData("step", -0.5f)]
    [InlineData("plateau", 0f)]
    [InlineData("plateau", -1f)]
    public void NoScheduleTakesAFactorOfZeroOrLess(string schedule, float gamma)
    {
        var e = Assert.Throws<ArgumentException>(new TrainConfig { Schedule = schedule, Gamma = gamma }.Validate);
        Assert.Contains("--gamma must be a positive finite number", e.Message);
    }

    [Fact]
    public void StepTakesAnyPositiveFactorAsStepLRDoes() => new TrainConfig { Schedule = "step", Gamma = 2f }.Validate();

    [Fact]
    public void TheCommandLineRefusesPlateauGammaTwo()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 64, test: 16);
        var result = CliRunner.Run("train", "--model", "alexnet-micro", "--data", data, "--schedule", "plateau", "--gamma", "2", "--batch-size", "16",
            "--validation", "16", "--threads", "1", "--max-steps", "1", "--out", temp.Combine("run"));
        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Stdout} {result.Stderr}");
        Assert.Contains("--gamma must be below 1 with --schedule plateau (each reduction multiplies the rate by it), got 2", result.Stderr);
        Assert.False(Directory.Exists(temp.Combine("run")));
    }

    /// <summary>A run saved before the rule, with plateau and --gamma 2 in its recipe, resumes as it was (with a note).</summary>
    [Fact]
    public void ARunSavedWithPlateauGammaTwoStillResumes()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 64, test: 16);
        string run = temp.Combine("run");
        var trial = CliRunner.Run("train", "--model", "alexnet-micro", "--data", data, "--schedule", "plateau", "--gamma", "0.5", "--epochs", "2",
            "--batch-size", "16", "--validation", "16", "--threads", "1", "--max-steps", "1", "--out", run);
        Assert.True(trial.ExitCode == 0, trial.Stderr);
        foreach (string sidecar in new[] { "last.json", "best.json" }.Select(f => Path.Combine(run, f)).Where(File.Exists))
        {
            var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(sidecar))!;
            json["config"]!["gamma"] = 2;
            File.WriteAllText(sidecar, json.ToJsonString());
        }
        Assert.Equal(2f, Checkpoints.Open(run, Checkpoints.Last).Info.Config!.Gamma);

        var resumed = CliRunner.Run("train", "--resume", run, "--max-steps", "1");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Contains("does not reduce the rate on plateaus", resumed.Stdout + resumed.Stderr);
        Assert.Equal(2, Checkpoints.Open(run, Checkpoints.Last).Info.Step);
    }
}
