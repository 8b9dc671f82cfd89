// The training loop in-process: it learns a tiny dataset, and a diverging run stops with a clear message while
// leaving the last good checkpoint intact.
using ConvNet.Tests.Support;
using ConvNet.Training;

namespace ConvNet.Tests.Training;

public sealed class TrainerTests
{
    [Fact]
    public void LearnsTinyDatasetAndWritesMetrics()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 640, test: 128);
        var config = new TrainConfig { Data = data, Epochs = 2, BatchSize = 32, LearningRate = 0.02f, ValidationCount = 64, Threads = 2, Seed = 3 };
        var result = new Trainer(config, temp.Combine("run"), new SilentObserver()).Run();
        Assert.Equal(2, result.History.Count);
        Assert.True(result.History[^1].TrainLoss < result.History[0].TrainLoss, "training loss did not fall");
        Assert.NotNull(result.Test);
        Assert.True(result.Test!.Metrics.Top1Error < 0.2, $"test error {result.Test.Metrics.Top1Error} on an easy dataset");
        Assert.Equal(2, File.ReadAllLines(temp.Combine("run", "metrics.jsonl")).Length);
        Assert.Equal(3, File.ReadAllLines(temp.Combine("run", "metrics.csv")).Length);
        Assert.True(File.Exists(temp.Combine("run", "best.json")));
    }

    [Fact]
    public void DivergingLossStopsAndKeepsLastGoodCheckpoint()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 320, test: 32);
        var config = new TrainConfig { Data = data, Epochs = 3, BatchSize = 32, LearningRate = 1e4f, ValidationCount = 32, Threads = 1, CheckpointEvery = 1 };
        string run = temp.Combine("run");
        var e = Assert.Throws<TrainingDivergedException>(() => new Trainer(config, run, new SilentObserver()).Run());
        Assert.Contains("loss became", e.Message);
        var last = Checkpoints.Open(run, Checkpoints.Last);
        var network = Checkpoints.LoadNetwork(last);
        Assert.All(network.Parameters, p => Assert.All(p.Value.ToArray(), v => Assert.True(float.IsFinite(v))));
    }

    // Trains alexnet-micro on 64 images a step with a weight decay of 1e20 until the run stops as diverged, and
    // returns why; nothing of the diverged steps may be saved.
    private static string Diverged(int trainImages, float learningRate, long maxSteps)
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: trainImages, test: 32);
        var config = new TrainConfig
        {
            Model = "alexnet-micro", Data = data, Epochs = 3, BatchSize = 64, LearningRate = learningRate, WeightDecay = 1e20f, ValidationCount = 64,
            Threads = 1, Schedule = "cosine", MaxSteps = maxSteps,
        };
        string run = temp.Combine("run");
        var e = Assert.Throws<TrainingDivergedException>(() => new Trainer(config, run, new SilentObserver()).Run());
        Assert.False(File.Exists(Path.Combine(run, "last.json")), e.Message);
        return e.Message;
    }

    // The loss is checked before each update: an update that overflows the weights just before a save (--max-steps
    // here, an epoch's end or --checkpoint-every too) was saved as "the last good checkpoint" (Inf in conv1.weight),
    // which nothing could load or resume. The first step's loss is finite; its update (lr x decay = 1e40) is not.
    [Fact]
    public void AnUpdateThatOverflowsTheWeightsIsNeverSaved()
    {
        string why = Diverged(trainImages: 192, learningRate: 1e20f, maxSteps: 1);
        Assert.Contains("a lower --lr or --weight-decay", why);
        Assert.Contains("No checkpoint was written yet", why);
    }

    // Weights blown up to ~1e33 (lr x decay = 1e35, one step an epoch) are finite but give NaN outputs: the epoch that
    // made them is not saved either.
    [Fact]
    public void AnEpochWhoseValidationOutputsAreNaNIsNotSaved() =>
        Assert.Contains("the validation loss became NaN after epoch 1", Diverged(trainImages: 128, learningRate: 1e15f, maxSteps: 0));

    // Without a validation split nothing looks at the outputs before the test set: NaN there is said, not scored (it
    // printed a test error ranked by the tie-break).
    [Fact]
    public void NaNTestOutputsAfterARunWithoutValidationAreSaidNotScored()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 64, test: 32);
        var config = new TrainConfig
        {
            Model = "alexnet-micro", Data = data, Epochs = 1, BatchSize = 64, LearningRate = 1e15f, WeightDecay = 1e20f, ValidationCount = 0,
            Threads = 1, Schedule = "cosine",
        };
        var e = Assert.Throws<TrainingDivergedException>(() => new Trainer(config, temp.Combine("run"), new SilentObserver()).Run());
        Assert.Contains("the network's outputs on the test set are NaN", e.Message);
    }

    [Fact]
    public void ModelAndDataShapesMustAgree()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 64, test: 8);
        var config = new TrainConfig { Model = "alexnet", Data = data, Epochs = 1, BatchSize = 8, ValidationCount = 8, Threads = 1 };
        var e = Assert.Throws<ArgumentException>(() => new Trainer(config, temp.Combine("run"), new SilentObserver()).Run());
        Assert.Contains("3x227x227", e.Message);
    }
}
