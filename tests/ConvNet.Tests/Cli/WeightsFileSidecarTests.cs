// A checkpoint's weights .safetensors, passed where a checkpoint is expected (eval, predict, forward), is opened
// through the sidecar of its run folder that names it, instead of being refused.
using System.Text.Json;
using ConvNet.Interop;
using ConvNet.Tests.Serving;
using ConvNet.Tests.Support;
using ConvNet.Training;

namespace ConvNet.Tests.Cli;

public class WeightsFileSidecarTests
{
    [Fact]
    public void WeightsFileInsideARunFolderFindsItsSidecar()
    {
        using var temp = new TempDirectory();
        string run = ServeCheckpoints.Write(temp.Combine("run"), imageData: true);
        string weights = Directory.GetFiles(Path.Combine(run, "checkpoints"), "*.safetensors").Single(f => !f.Contains("momentum"));
        Assert.Equal(Path.Combine(run, "best.json"), Checkpoints.SidecarNaming(weights));
        Assert.Equal(Checkpoints.Open(run).WeightsPath, Checkpoints.Open(weights).WeightsPath);

        string image = ServeCheckpoints.WriteImages(temp.Combine("images"), 1)[0];
        var fromRun = CliRunner.Run("predict", "--checkpoint", run, image, "--json");
        var fromWeights = CliRunner.Run("predict", "--checkpoint", weights, image, "--json");
        Assert.True(fromWeights.ExitCode == 0, fromWeights.Stderr);
        Assert.Equal(JsonDocument.Parse(fromRun.Stdout).RootElement[0].GetProperty("top").ToString(),
            JsonDocument.Parse(fromWeights.Stdout).RootElement[0].GetProperty("top").ToString());

        var (network, metadata) = ModelFiles.OpenWithMetadata(weights, null);
        Assert.Equal("alexnet-micro", network.Name);
        Assert.NotNull(metadata);
    }

    [Fact]
    public void AnOlderCheckpointNamedOnlyByPreviousJsonIsFound()
    {
        // Training keeps the checkpoint before last under previous.json: its weights file is the run's too.
        using var temp = new TempDirectory();
        string run = ServeCheckpoints.Write(temp.Combine("run"), imageData: false);
        string weights = Directory.GetFiles(Path.Combine(run, "checkpoints"), "*.safetensors").Single(f => !f.Contains("momentum"));
        File.Move(Path.Combine(run, "best.json"), Path.Combine(run, "previous.json"));
        File.Delete(Path.Combine(run, "last.json"));
        Assert.Equal(Path.Combine(run, "previous.json"), Checkpoints.SidecarNaming(weights));
        string image = ServeCheckpoints.WriteImages(temp.Combine("images"), 1)[0];
        var predicted = CliRunner.Run("predict", "--checkpoint", weights, image);
        Assert.True(predicted.ExitCode == 0, predicted.Stderr);
    }

    [Fact]
    public void WeightsFileNoSidecarNamesIsRefusedSayingWhatToPass()
    {
        using var temp = new TempDirectory();
        string run = ServeCheckpoints.Write(temp.Combine("run"), imageData: false);
        string weights = Directory.GetFiles(Path.Combine(run, "checkpoints"), "*.safetensors").Single(f => !f.Contains("momentum"));
        string stray = temp.Combine("stray.safetensors");
        File.Copy(weights, stray);
        var error = Assert.Throws<CheckpointException>(() => Checkpoints.Open(stray));
        Assert.Contains("names this weights file", error.Message);
        Assert.Contains(".json sidecar or its run folder", error.Message);
        Assert.Contains("convnet import FILE --model NAME", error.Message);
    }
}
