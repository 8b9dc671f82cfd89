// The README's workflow as a new user runs it, in a temporary folder through the real tool: a short trial run, a
// plain --resume that finishes it, eval, export to ONNX, import of that file, predict. Every step must succeed, and
// the predictions of the imported model must be those of the run (issue 17, "done when").
using System.Text.Json;
using ConvNet.Tests.Cli;
using ConvNet.Tests.Support;
using ConvNet.Training;

namespace ConvNet.Tests.EndToEnd;

public sealed class ReadmeWalkTests
{
    [Fact]
    public void TrialResumeEvalExportImportPredict()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 320, test: 64);
        string run = temp.Combine("runs", "tiny");

        var trial = CliRunner.Run("train", "--model", "alexnet-small", "--data", data, "--epochs", "2", "--batch-size", "32",
            "--validation", "64", "--threads", "2", "--max-steps", "3", "--out", run);
        Assert.True(trial.ExitCode == 0, trial.Stderr);
        Assert.Equal(3, Checkpoints.Open(run, Checkpoints.Last).Info.Step);

        var resume = CliRunner.Run("train", "--resume", run);
        Assert.True(resume.ExitCode == 0, resume.Stderr);
        var finished = Checkpoints.Open(run, Checkpoints.Last).Info;
        Assert.Equal(2, finished.Epoch);
        Assert.Equal(16, finished.Step); // 256 training images / 32 per batch x 2 epochs

        var eval = CliRunner.Run("eval", "--checkpoint", run, "--data", data, "--json");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        using (var doc = JsonDocument.Parse(eval.Stdout)) Assert.Equal(64, doc.RootElement.GetProperty("images").GetInt32());

        string[] images = [TinyImages.WriteBar(temp.Combine("bar0.png"), row: 4), TinyImages.WriteBar(temp.Combine("bar2.png"), row: 16)];
        var before = images.Select(i => ExportImportRoundTripTests.Predictions(run, i)).ToList();

        string onnx = temp.Combine("model.onnx");
        var export = CliRunner.Run("export", "--weights", run, "--format", "onnx", "--out", onnx);
        Assert.True(export.ExitCode == 0, export.Stderr);
        var import = CliRunner.Run("import", onnx, "--out", temp.Combine("models", "tiny"));
        Assert.True(import.ExitCode == 0, import.Stderr);

        var after = images.Select(i => ExportImportRoundTripTests.Predictions(temp.Combine("models", "tiny"), i)).ToList();
        for (int i = 0; i < images.Length; i++)
        {
            Assert.Equal(before[i].Select(p => p.Name), after[i].Select(p => p.Name));
            for (int k = 0; k < before[i].Count; k++) Assert.Equal(before[i][k].Probability, after[i][k].Probability, 6);
        }
        Assert.Equal(finished.ClassNames.Order(), after[0].Select(p => p.Name).Order()); // the run's class names, all of them
    }
}
