// Commands that read a run while it trains (eval, predict, export, show): each save replaces last.json and then
// deletes the weights the sidecar before it named, so a reader between the two found them gone ("names ..., which
// does not exist": 35 of 36 predicts on a run saving every step). Open reads the new sidecar instead.
using ConvNet.Models;
using ConvNet.Random;
using ConvNet.Tests.Support;
using ConvNet.Training;

namespace ConvNet.Tests.Training;

public sealed class LiveRunReadTests
{
    [Fact]
    public async Task ARunSavingAllTheTimeCanBeOpenedWhileItSaves()
    {
        using var temp = new TempDirectory();
        string run = temp.Combine("run");
        var network = ModelRegistry.Create(AlexNetMicro.Name, new ModelOptions(Classes: 4, InputChannels: 3));
        network.Initialize(new Rng(1));
        var info = new CheckpointInfo
        {
            Model = network.Name, Classes = 4, InputShape = network.Spec.InputShape, ClassNames = ["a", "b", "c", "d"],
            NormalizationMean = [0.5f, 0.5f, 0.5f], NormalizationStd = [0.25f, 0.25f, 0.25f], WeightsFile = "", WeightsSha256 = "",
        };
        Checkpoints.Save(run, network, null, info, Checkpoints.Last);

        using var stop = new CancellationTokenSource();
        var saver = Task.Run(() =>
        {
            for (int step = 1; !stop.IsCancellationRequested; step++) Checkpoints.Save(run, network, null, info with { Step = step }, Checkpoints.Last);
        });
        try
        {
            var failures = new List<string>();
            int opens = 0;
            for (var clock = System.Diagnostics.Stopwatch.StartNew(); clock.Elapsed < TimeSpan.FromSeconds(3); opens++)
            {
                try { Checkpoints.Open(run, Checkpoints.Last); }
                catch (CheckpointException e) { failures.Add(e.Message); }
            }
            Assert.True(failures.Count == 0, $"{failures.Count} of {opens} opens failed, e.g. {failures.FirstOrDefault()}");
        }
        finally
        {
            stop.Cancel();
            await saver;
        }
    }
}
