// How a run's convolution algorithms are chosen and kept: auto records what it chose in the run's configuration, a
// resume reapplies the record (whatever the clock would say now) and continues bit for bit, and a malformed record is
// a clear checkpoint error. Also the selection rules themselves, and a network computing the same with either method.
using ConvNet.Kernels.Cpu;
using ConvNet.Layers;
using ConvNet.Models;
using ConvNet.Random;
using ConvNet.Tensors;
using ConvNet.Tests.Support;
using ConvNet.Threading;
using ConvNet.Training;

namespace ConvNet.Tests.Training;

public sealed class ConvolutionChoicesTests
{
    [Fact]
    public void AutoRecordsItsChoiceAndResumeReappliesIt()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 320, test: 32);
        var config = new TrainConfig { Data = data, Epochs = 2, BatchSize = 32, LearningRate = 0.02f, ValidationCount = 32, Threads = 2, Seed = 5, CheckpointEvery = 3 };
        string whole = temp.Combine("whole"), split = temp.Combine("split");
        new Trainer(config with { ConvAlgorithm = "winograd" }, whole, new SilentObserver()).Run();
        var recorded = Checkpoints.Open(whole, Checkpoints.Last).Info.Config!.ConvolutionChoices;
        // conv1 (5x5, stride 1) runs as F(4x4,5x5); every layer of this net can.
        Assert.Equal("conv1=winograd,conv2=winograd,conv3=winograd,conv4=winograd,conv5=winograd", recorded);

        // Stopped early and resumed: bit-identical to the uninterrupted run, with the same record.
        new Trainer(config with { ConvAlgorithm = "winograd", MaxSteps = 4 }, split, new SilentObserver()).Run();
        var resumed = Trainer.Resume(split, new SilentObserver());
        Assert.Equal(Weights(whole), Weights(split));
        Assert.Equal(recorded, Checkpoints.Open(split, Checkpoints.Last).Info.Config!.ConvolutionChoices);
        Assert.Equal(2, resumed.History.Count);
    }

    // A checkpoint written before the algorithms were recorded (it then trained every convolution directly) names
    // neither the algorithm nor the choices: it resumes direct. A run trained on a GPU names its algorithm but no CPU
    // choices: it was taken for an older checkpoint and pinned to direct for good, and now chooses by its algorithm.
    [Theory]
    [InlineData(true, "direct")]
    [InlineData(false, "winograd")]
    public void ARunWithoutRecordedChoicesResumesByTheAlgorithmItsConfigNames(bool namesNoAlgorithm, string expected)
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 320, test: 32);
        var config = new TrainConfig { Data = data, Epochs = 1, BatchSize = 32, ValidationCount = 32, Threads = 1, ConvAlgorithm = "winograd", MaxSteps = 2 };
        string run = temp.Combine("run");
        new Trainer(config, run, new SilentObserver()).Run();
        RemoveFromConfig(run, namesNoAlgorithm ? ["convAlgorithm", "convolutionChoices"] : ["convolutionChoices"]);
        Trainer.Resume(run, new SilentObserver(), maxSteps: 1);
        var resumed = Checkpoints.Open(run, Checkpoints.Last).Info.Config!;
        Assert.Equal(expected, resumed.ConvAlgorithm);
        Assert.Equal(string.Join(",", Enumerable.Range(1, 5).Select(i => $"conv{i}={expected}")), resumed.ConvolutionChoices);
    }

    private static void RemoveFromConfig(string run, params string[] settings)
    {
        string sidecar = Path.Combine(run, Checkpoints.Last + ".json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(sidecar))!.AsObject();
        var config = json["config"]!.AsObject();
        foreach (string setting in settings) Assert.True(config.Remove(setting), setting);
        File.WriteAllText(sidecar, json.ToJsonString());
    }

    [Fact]
    public void RecordTakesPrecedenceOverTheConfiguredAlgorithm()
    {
        var network = NetworkBuilder.Build(ModelRegistry.Spec("alexnet-small", new ModelOptions(10)));
        ConvolutionChoices.Apply(network, new TrainConfig
        {
            ConvAlgorithm = "winograd", ConvolutionChoices = "conv1=direct,conv2=direct,conv3=winograd,conv4=direct,conv5=direct",
        });
        using var pool = new WorkerPool(1);
        network.Plan(2, pool, forTraining: true);
        Assert.Equal("conv1=direct,conv2=direct,conv3=winograd,conv4=direct,conv5=direct", ConvolutionChoices.Describe(network));
    }

    [Fact]
    public void MalformedRecordIsACheckpointError()
    {
        var network = NetworkBuilder.Build(ModelRegistry.Spec("alexnet-small", new ModelOptions(10)));
        var bad = Assert.Throws<CheckpointException>(() => ConvolutionChoices.Apply(network, new TrainConfig { ConvolutionChoices = "conv1=direct,conv2=fft" }));
        Assert.Contains("conv2=fft", bad.Message);
        var missing = Assert.Throws<CheckpointException>(() => ConvolutionChoices.Apply(network, new TrainConfig { ConvolutionChoices = "conv1=direct" }));
        Assert.Contains("conv2", missing.Message);
        Assert.Throws<ArgumentException>(() => new TrainConfig { ConvAlgorithm = "fft" }.Validate());
    }

    /// <summary>Inference derives its filters once per weight version, training on every step: the timing trial
    /// must give each candidate the same treatment, or Winograd's filter transform is charged to every inference pass.</summary>
    [Theory]
    [InlineData(false, 0L)]
    [InlineData(true, -1L)]
    public void The_timing_trial_passes_the_weight_version_a_planned_network_would(bool training, long expected)
    {
        var g = new ConvGeometry(4, 6, 6, 5, 3, 3, 1, 1, 1, 1, 1);
        var kernel = new RecordingKernel(g);
        new ConvolutionSelection.Trial(g, 2, training, inputGradient: true).Time(kernel);
        Assert.Equal(3, kernel.Versions.Count);
        Assert.All(kernel.Versions, v => Assert.Equal(expected, v));
        Assert.Equal(training ? 3 : 0, kernel.Backwards);
    }

    private sealed class RecordingKernel(ConvGeometry g) : IConvolutionKernel
    {
        public List<long> Versions { get; } = [];
        public int Backwards { get; private set; }
        public ConvGeometry Geometry => g;
        public string Algorithm => "recording";
        public long MultipliesPerSample => 0;

        public void Forward(float[] x, float[] weight, float[] bias, float[] y, int batch, bool relu,
            int xOffset = 0, int yOffset = 0, int weightOffset = 0, int biasOffset = 0, long weightVersion = -1) => Versions.Add(weightVersion);

        public void Backward(float[] x, float[] weight, float[] dy, float[] dWeight, float[] dBias, float[]? dx, int batch,
            int xOffset = 0, int weightOffset = 0, int dyOffset = 0, int dWeightOffset = 0, int dBiasOffset = 0, int dxOffset = 0) => Backwards++;
    }

    [Fact]
    public void SelectionRules()
    {
        using var pool = new WorkerPool(2);
        var threeByThree = new ConvGeometry(16, 9, 9, 16, 3, 3, 1, 1, 1, 1, 1);
        var strided = new ConvGeometry(3, 31, 31, 8, 11, 11, 4, 4, 2, 2, 1);
        Assert.Equal("direct", ConvolutionSelection.Create(threeByThree, pool, ConvAlgorithm.Direct, 4, training: true).Algorithm);
        Assert.Equal("winograd F(4x4,3x3)", ConvolutionSelection.Create(threeByThree, pool, ConvAlgorithm.Winograd, 4, training: true).Algorithm);
        // A strided layer goes through space to depth; Winograd where neither form applies, and auto on a layer too
        // small to time, stay direct.
        Assert.Equal("winograd F(4x4,3x3) on 4x4 space-to-depth blocks", ConvolutionSelection.Create(strided, pool, ConvAlgorithm.Winograd, 4, training: true).Algorithm);
        var pointwiseStrided = new ConvGeometry(16, 9, 9, 16, 1, 1, 2, 2, 0, 0, 1);
        Assert.Equal("direct", ConvolutionSelection.Create(pointwiseStrided, pool, ConvAlgorithm.Winograd, 4, training: true).Algorithm);
        Assert.Equal("direct", ConvolutionSelection.Create(threeByThree, pool, ConvAlgorithm.Auto, 4, training: true).Algorithm);
        // Between the two thresholds (231 M multiply-adds at batch 8): training stays direct without timing, so fresh
        // runs of small nets stay bit-identical; inference times it.
        var middle = new ConvGeometry(64, 28, 28, 64, 3, 3, 1, 1, 1, 1, 1);
        Assert.InRange(middle.MultiplyAdds * 8, ConvolutionSelection.InferenceTimingThreshold, ConvolutionSelection.TrainingTimingThreshold - 1);
        Assert.Equal("direct", ConvolutionSelection.Create(middle, pool, ConvAlgorithm.Auto, 8, training: true).Algorithm);
        Assert.Contains(ConvolutionSelection.Create(middle, pool, ConvAlgorithm.Auto, 8, training: false).Algorithm, new[] { "direct", "winograd F(4x4,3x3)" });
        // A layer big enough is timed and gets one of the two.
        var big = new ConvGeometry(64, 14, 14, 128, 3, 3, 1, 1, 1, 1, 1);
        Assert.Contains(ConvolutionSelection.Create(big, pool, ConvAlgorithm.Auto, 64, training: false).Algorithm, new[] { "direct", "winograd F(4x4,3x3)" });
        Assert.Throws<ArgumentException>(() => ConvolutionSelection.Parse("fft"));
    }

    /// <summary>Logits agree to rounding. Gradients agree in norm: where a pre-activation within rounding of 0 lands on
    /// the other side of a ReLU, the gradient takes another path from there down (seen here once, in conv3's output),
    /// which moves every gradient below it a little, so element-wise bounds would be wrong.</summary>
    /// <remarks>alexnet-micro's conv1 (7x7 stride 3) takes the space-to-depth form under winograd.</remarks>
    [Theory]
    [InlineData("alexnet-small")]
    [InlineData("alexnet-micro")]
    public void NetworkComputesTheSameWithEitherMethod(string model)
    {
        var (direct, winograd) = (Run(model, ConvAlgorithm.Direct), Run(model, ConvAlgorithm.Winograd));
        for (int i = 0; i < direct[0].Length; i++)
            Assert.True(Math.Abs(direct[0][i] - winograd[0][i]) <= 1e-5 * (1 + Math.Abs(direct[0][i])), $"logit {i}: {direct[0][i]} vs {winograd[0][i]}");
        for (int t = 1; t < direct.Count; t++)
        {
            double difference = 0, norm = 0;
            for (int i = 0; i < direct[t].Length; i++)
            {
                difference += Math.Pow(direct[t][i] - winograd[t][i], 2);
                norm += Math.Pow(direct[t][i], 2);
            }
            double relative = Math.Sqrt(difference / norm);
            Assert.True(relative < 0.02, $"gradient {t - 1}: relative difference {relative:E2} in norm");
        }
    }

    /// <summary>A 28x28 one-channel net's logits and every parameter gradient after one forward and backward pass.</summary>
    private static List<float[]> Run(string model, ConvAlgorithm algorithm)
    {
        var network = NetworkBuilder.Build(ModelRegistry.Spec(model, new ModelOptions(10)));
        network.Initialize(new Rng(4));
        network.UseConvolutionAlgorithm(algorithm);
        using var pool = new WorkerPool(2);
        network.Plan(6, pool, forTraining: true);
        var x = new Tensor([6, 1, 28, 28]);
        var rng = new Rng(8);
        var xs = x.Span;
        for (int i = 0; i < xs.Length; i++) xs[i] = rng.NextFloat();
        var logits = network.Forward(x, training: true).ToArray();
        var loss = new CrossEntropyLoss();
        int[] labels = [0, 1, 2, 3, 4, 5];
        loss.Forward(network.Logits, labels);
        network.ZeroGradients();
        network.Backward(x, loss.Backward(labels));
        if (model == "alexnet-micro" && algorithm == ConvAlgorithm.Winograd)
            Assert.EndsWith("space-to-depth blocks", network.Layers.OfType<Conv2d>().First().PlannedAlgorithm);
        return [logits, .. network.Parameters.Select(p => p.Gradient.ToArray())];
    }

    private static float[] Weights(string run) =>
        Checkpoints.LoadNetwork(Checkpoints.Open(run, Checkpoints.Last)).Parameters.SelectMany(p => p.Value.ToArray()).ToArray();
}
