// A model whose finite weights overflow to NaN outputs (as a diverged run's) gets no answers: eval, predict, the
// library's classifier and the server refuse it with one message, instead of ranking NaN by the tie-break (eval said
// "top-1 error 100 %" with class 0 at 100 % accuracy, predict printed NaN with exit 0, serve answered "NaN" strings).
using System.Net;
using ConvNet.Inference;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Serving;

public sealed class NonFiniteOutputTests
{
    private const string Refusal = "are not finite (NaN)";

    private static (string Run, string[] Images) Overflowing(TempDirectory temp) =>
        (ServeCheckpoints.Write(temp.Combine("run"), imageData: false, weightScale: 1e30f), ServeCheckpoints.WriteImages(temp.Combine("images"), 2));

    [Fact]
    public void PredictAndTheLibraryRefuseNaNOutputs()
    {
        using var temp = new TempDirectory();
        var (run, images) = Overflowing(temp);
        var predict = CliRunner.Run("predict", "--checkpoint", run, images[0], "--json");
        Assert.Equal(2, predict.ExitCode);
        Assert.Contains(Refusal, predict.Stderr);
        Assert.Contains(images[0], predict.Stderr);

        using var classifier = ImageClassifier.Open(run, threads: 1);
        var e = Assert.Throws<InvalidOperationException>(() => classifier.Classify(images[1]));
        Assert.Contains(Refusal, e.Message);
    }

    [Fact]
    public void ShowPredictionsRefusesNaNOutputsAndTheActivationWalkSaysSo()
    {
        using var temp = new TempDirectory();
        var (run, images) = Overflowing(temp);
        var sheet = CliRunner.Run("show", "predictions", "--checkpoint", run, images[0], "--out", temp.Combine("p.png"));
        Assert.Equal(2, sheet.ExitCode);
        Assert.Contains(Refusal, sheet.Stderr);

        // The walk still draws (it shows where the values overflow), and its title says the outputs are NaN.
        var walk = CliRunner.Run("show", "activations", "--checkpoint", run, images[0], "--out", temp.Combine("w.png"));
        Assert.True(walk.ExitCode == 0, walk.Stderr);
        Assert.Contains("its outputs are not finite (NaN", walk.Stdout);
    }

    [Fact]
    public void EvalRefusesNaNOutputsAndASoundModelOfTheSameShapeIsScored()
    {
        using var temp = new TempDirectory();
        var (run, _) = Overflowing(temp);
        // A test folder of the model's four classes (WriteImages draws class i % 4 as image i).
        var classes = ConvNet.Training.Checkpoints.Open(run).Info.ClassNames;
        var images = ServeCheckpoints.WriteImages(temp.Combine("pictures"), 8);
        for (int i = 0; i < images.Length; i++)
        {
            string folder = Directory.CreateDirectory(temp.Combine("test", classes[i % classes.Length])).FullName;
            File.Copy(images[i], Path.Combine(folder, Path.GetFileName(images[i])));
        }
        var eval = CliRunner.Run("eval", "--checkpoint", run, "--data", "folder:" + temp.Combine("test"));
        Assert.Equal(2, eval.ExitCode);
        Assert.Contains(Refusal, eval.Stderr);

        string sound = ServeCheckpoints.Write(temp.Combine("sound"), imageData: false);
        var scored = CliRunner.Run("eval", "--checkpoint", sound, "--data", "folder:" + temp.Combine("test"));
        Assert.True(scored.ExitCode == 0, scored.Stderr);
    }

    [Fact]
    public async Task ServeAnswersNaNOutputsWithAJsonErrorAndKeepsServing()
    {
        using var temp = new TempDirectory();
        var (run, images) = Overflowing(temp);
        await using var server = await RunningServer.StartAsync(run);
        for (int i = 0; i < 2; i++)
        {
            var response = await server.Client.PostAsync("/v1/predict", ServeApiTests.ImageContent(images[i]));
            string text = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            Assert.Contains(Refusal, text);
        }
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/healthz")).StatusCode);
    }
}
