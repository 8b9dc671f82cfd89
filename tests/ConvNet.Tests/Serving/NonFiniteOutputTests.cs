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

    // Its zero pass at start-up (a blank image) already gives NaN: every request would be a 500, so it does not start.
    [Fact]
    public void ServeRefusesAtStartAModelWhoseOutputsOverflowOnABlankImage()
    {
        using var temp = new TempDirectory();
        var (run, _) = Overflowing(temp);
        var serve = CliRunner.Run("serve", "--checkpoint", run, "--port", "0", "--threads", "1", "--max-batch", "2");
        Assert.Equal(2, serve.ExitCode);
        Assert.Equal("", serve.Stdout);
        string line = Assert.Single(serve.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("convnet: error: ", line);
        Assert.Contains(Refusal, line);
        Assert.Contains("a blank image", line);
    }

    // Zero biases and huge fully connected weights: a blank image (zeros) stays zero to the end, so the server starts,
    // but a real image's values overflow in fc7.
    private static string OverflowingOnImagesOnly(TempDirectory temp) =>
        ServeCheckpoints.Write(temp.Combine("run"), imageData: false, edit: network =>
        {
            foreach (var parameter in network.Parameters)
                foreach (ref float w in parameter.Value.Span)
                    w = parameter.Name.EndsWith(".bias") ? 0 : parameter.Name.StartsWith("fc") ? w * 1e30f : w;
        });

    // They were 500 "internal error: ..." with a stack trace in the log on every request, and the 500 was not in the
    // API document.
    [Fact]
    public async Task ServeAnswersNaNOutputsWithADeclared500LogsItOnceAndKeepsServing()
    {
        using var temp = new TempDirectory();
        string run = OverflowingOnImagesOnly(temp);
        var images = ServeCheckpoints.WriteImages(temp.Combine("images"), 2);
        using var serve = await ServeProcess.StartAsync(run, "--max-batch", "2");
        var document = await ServeApiTests.Json(await serve.Client.GetAsync("/openapi.json"));
        foreach (var route in new[] { "/v1/predict?top=2", "/v1/features?layer=fc6", "/v1/walk", "/v1/predict" })
        {
            var response = await serve.Client.PostAsync(route, ServeApiTests.ImageContent(images[route.Length % 2]));
            string text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.InternalServerError, text);
            string error = System.Text.Json.JsonDocument.Parse(text).RootElement.GetProperty("error").GetString()!;
            Assert.Contains(Refusal, error);
            Assert.DoesNotContain("internal error", error);
            Assert.True(document.GetProperty("paths").GetProperty(route.Split('?')[0]).GetProperty("post").GetProperty("responses").TryGetProperty("500", out _),
                $"{route}: 500 is not in /openapi.json");
        }
        Assert.Equal(HttpStatusCode.OK, (await serve.Client.GetAsync("/healthz")).StatusCode);
        var (stdout, stderr) = await serve.StopAsync();
        string log = stdout + stderr;
        Assert.Equal(1, log.Split('\n').Count(l => l.Contains(Refusal)));
        Assert.DoesNotContain("Exception", log);
        Assert.DoesNotContain(" at ConvNet.", log);
    }

    [Fact]
    public void ForwardRefusesNaNOutputsAndWritesNoFile()
    {
        using var temp = new TempDirectory();
        var (run, _) = Overflowing(temp);
        var network = ConvNet.Training.Checkpoints.LoadNetwork(ConvNet.Training.Checkpoints.Open(run));
        int[] shape = [2, .. network.Spec.InputShape];
        ConvNet.Interop.NpyFile.Write(temp.Combine("x.npy"), shape, new float[shape.Aggregate(1, (a, b) => a * b)]);
        var forward = CliRunner.Run("forward", "--weights", run, "--input", temp.Combine("x.npy"), "--output", temp.Combine("y.npy"));
        Assert.Equal(2, forward.ExitCode);
        Assert.Contains(Refusal, forward.Stderr);
        Assert.Contains($"image 0 of {temp.Combine("x.npy")}", forward.Stderr);
        Assert.False(File.Exists(temp.Combine("y.npy")));
    }
}
