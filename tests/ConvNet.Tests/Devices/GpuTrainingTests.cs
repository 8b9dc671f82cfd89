// Whole training on the emulated GPU against the CPU engine from one seed: the same batches, dropout masks and
// updates, so weights and momentum agree to float tolerance (1e-4 relative) after a few steps; a run started on one
// device resumes on the other; validation and test passes run on the GPU network.
using ConvNet.Devices;
using ConvNet.Devices.Gpu;
using ConvNet.Devices.Gpu.Layers;
using ConvNet.Models;
using ConvNet.Random;
using ConvNet.Tensors;
using ConvNet.Tests.Support;
using ConvNet.Threading;
using ConvNet.Training;

namespace ConvNet.Tests.Devices;

[Collection(EmulatedGpuCollection.Name)]
public sealed class GpuTrainingTests(EmulatedGpu gpu)
{
    /// <param name="blockings">"": the device's GEMM blocking everywhere; "mixed": 8x8 for the convolutions and 4x4
    /// for the fully connected layers, set per layer; "timed": each layer times both when planned (GemmBlockingChoice)</param>
    [Theory]
    [InlineData(1, 28, 8, 3, 0f, "")]
    [InlineData(3, 32, 5, 2, 0f, "")]
    [InlineData(1, 28, 6, 2, 0.1f, "")]
    [InlineData(1, 28, 3, 2, 0.1f, "")] // fully connected forward by the matrix-vector kernel (batch <= 4)
    [InlineData(1, 28, 6, 2, 0f, "mixed")]
    [InlineData(1, 28, 5, 2, 0f, "timed")]
    public void Training_steps_match_the_cpu_engine(int channels, int size, int batch, int steps, float labelSmoothing, string blockings)
    {
        var spec = AlexNetMicro.Spec(10, channels, size);
        var cpuNet = NetworkBuilder.Build(spec);
        var gpuHost = NetworkBuilder.Build(spec);
        cpuNet.Initialize(new Rng(5));
        gpuHost.Initialize(new Rng(5));
        var cpuSgd = new Sgd(cpuNet.Parameters, 0.05f, 0.9f, 0.0005f);
        var gpuSgd = new Sgd(gpuHost.Parameters, 0.05f, 0.9f, 0.0005f);
        using var pool = new WorkerPool(1);
        using ITrainingNetwork cpu = new CpuTrainingNetwork(cpuNet, cpuSgd, pool, batch, labelSmoothing: labelSmoothing);
        using var g = new GpuNetwork(gpu.Device, gpuHost) { LabelSmoothing = labelSmoothing };
        gpu.Device.TimeGemmBlocking = blockings == "timed";
        try { g.Plan(batch, forTraining: true); }
        finally { gpu.Device.TimeGemmBlocking = false; }
        if (blockings == "mixed")
            foreach (var layer in g.Layers)
                if (layer is IGemmLayer gemm) gemm.GemmBlocking = layer is GpuConv2d ? 8 : 4;
        if (blockings != "")
        {
            // Every GEMM layer has a blocking of its own (the steps below show that timing them changed nothing).
            Assert.All(g.Layers.OfType<IGemmLayer>(), l => Assert.Contains(l.GemmBlocking, new[] { 4, 8 }));
            Assert.Equal(g.Layers.OfType<IGemmLayer>().Count(), GemmBlockingChoice.Describe(g).Split(',').Length);
        }
        g.UploadVelocities(gpuSgd);

        var rng = new Rng(9);
        for (int step = 0; step < steps; step++)
        {
            var x = new Tensor([batch, .. spec.InputShape]);
            for (int i = 0; i < x.Length; i++) x.Span[i] = (float)rng.NextGaussian();
            var labels = Enumerable.Range(0, batch).Select(n => rng.NextInt(10)).ToArray();
            ulong dropoutSeed = Rng.Mix(1, 3, (ulong)step);
            float cpuLoss = cpu.Step(x, labels, dropoutSeed, 0.05f);
            gpuSgd.LearningRate = 0.05f;
            float gpuLoss = g.TrainStep(x, labels, dropoutSeed, gpuSgd);
            Close.Scalar(cpuLoss, gpuLoss, 1e-5, $"loss of step {step + 1}");
            Close.All(TestData.ToDouble(cpu.Logits.Span), g.Logits.Span, 1e-4, 1e-5, $"logits of step {step + 1}");
        }
        g.DownloadParameters();
        g.DownloadVelocities(gpuSgd);
        for (int i = 0; i < cpuNet.Parameters.Count; i++)
        {
            string name = cpuNet.Parameters[i].Name;
            Close.All(TestData.ToDouble(cpuNet.Parameters[i].Value.Span), gpuHost.Parameters[i].Value.Span, 1e-4, 1e-5, $"{name} after {steps} steps");
            Close.All(TestData.ToDouble(cpuSgd.Velocities[i].Span), gpuSgd.Velocities[i].Span, 1e-4, 1e-5, $"{name} momentum after {steps} steps");
        }
    }

    /// <summary>Every GEMM a layer launches takes the layer's own blocking, never the device's (both blockings give the
    /// same values, so only counting launches shows a site that ignores it).</summary>
    [Theory]
    [InlineData(8, 4)]
    [InlineData(4, 8)]
    public void Every_gemm_a_layer_launches_uses_the_layers_blocking(int deviceBlocking, int layerBlocking)
    {
        var host = NetworkBuilder.Build(AlexNetMicro.Spec());
        host.Initialize(new Rng(4));
        using var g = new GpuNetwork(gpu.Device, host);
        g.Plan(5, forTraining: true); // batch 5: the fully connected forward pass is a GEMM too (1-4: the matrix-vector kernel)
        foreach (var layer in g.Layers.OfType<IGemmLayer>()) layer.GemmBlocking = layerBlocking;
        // Forward and backward through every layer: 3 GEMMs a layer, 2 for the first (no dX).
        int expected = 3 * g.Layers.OfType<IGemmLayer>().Count() - 1;
        gpu.Device.GemmBlocking = deviceBlocking;
        long before = gpu.Device.Gemm8x8Launches;
        try
        {
            g.ForwardOnDevice(training: false);
            g.BackwardOnDevice(g.DeviceLogits);
            gpu.Device.Synchronize();
        }
        finally { gpu.Device.GemmBlocking = 4; }
        Assert.Equal(layerBlocking == 8 ? expected : 0, gpu.Device.Gemm8x8Launches - before);
    }

    [Fact]
    public void An_inference_plan_allocates_nothing_for_training_and_gives_the_same_logits()
    {
        var host = NetworkBuilder.Build(AlexNetMicro.Spec());
        host.Initialize(new Rng(4));
        var x = new Tensor(3, 1, 28, 28);
        new Rng(5).NextFloats(x.Span);
        using var trained = new GpuNetwork(gpu.Device, host);
        trained.Plan(3, forTraining: true);
        float[] expected = trained.Forward(x, training: false).ToArray();

        using var g = new GpuNetwork(gpu.Device, host);
        g.Plan(3);
        // No gradients, velocities, input gradients or dropout masks: they tripled the weights' memory of a server.
        Assert.All(g.Parameters, p => Assert.False(p.HasTrainingBuffers));
        Assert.All(g.Layers, l => Assert.Null(l.InputGradient));
        Assert.All(trained.Parameters, p => Assert.True(p.HasTrainingBuffers));
        Assert.Equal(expected, g.Forward(x, training: false).ToArray());

        var e = Assert.Throws<InvalidOperationException>(() => g.TrainStep(x, [1, 2, 3], 1, new Sgd(host.Parameters, 0.1f)));
        Assert.Contains("planned for inference", e.Message);
        e = Assert.Throws<InvalidOperationException>(() => g.Plan(3, forTraining: true));
        Assert.Contains("planned for batch 3 (inference); make a new one for batch 3 (training)", e.Message);
        g.Plan(3); // the same plan again: nothing to do
    }

    [Fact]
    public void A_step_whose_loss_is_not_finite_leaves_the_weights_as_they_were()
    {
        var host = NetworkBuilder.Build(AlexNetMicro.Spec());
        host.Initialize(new Rng(3));
        var sgd = new Sgd(host.Parameters, 0.1f);
        var before = host.Parameters.Select(p => p.Value.ToArray()).ToArray();
        using var g = new GpuNetwork(gpu.Device, host);
        g.Plan(2, forTraining: true);
        var x = new Tensor(2, 1, 28, 28);
        x.Span[5] = float.NaN;
        float loss = g.TrainStep(x, [1, 2], 1, sgd);
        Assert.True(float.IsNaN(loss));
        g.DownloadParameters();
        for (int i = 0; i < before.Length; i++) Assert.Equal(before[i], host.Parameters[i].Value.ToArray());

        // A finite step after it does update them.
        x.Span[5] = 0f;
        Assert.True(float.IsFinite(g.TrainStep(x, [1, 2], 2, sgd)));
        g.DownloadParameters();
        Assert.NotEqual(before[0], host.Parameters[0].Value.ToArray());
    }

    [Fact]
    public void The_replica_checks_copy_brings_home_the_weights_and_not_the_momentum()
    {
        var host = NetworkBuilder.Build(AlexNetMicro.Spec());
        host.Initialize(new Rng(6));
        var sgd = new Sgd(host.Parameters, 0.1f);
        var initial = host.Parameters.Select(p => p.Value.ToArray()).ToArray();
        using ITrainingNetwork g = new GpuTrainingNetwork(GpuDevice.Open(new DeviceSpec(DeviceKind.Emulated)), host, sgd, 2);
        var x = new Tensor(2, 1, 28, 28);
        for (int i = 0; i < x.Length; i++) x.Span[i] = (i % 7) * 0.1f;
        Assert.True(float.IsFinite(g.Step(x, [1, 2], 1, 0.1f)));

        g.CopyWeightsToHost();
        Assert.NotEqual(initial[0], host.Parameters[0].Value.ToArray());
        Assert.All(sgd.Velocities, v => Assert.All(v.ToArray(), value => Assert.Equal(0f, value))); // still the host's zeros

        g.CopyToHost(); // a checkpoint's copy brings both
        Assert.Contains(sgd.Velocities, v => v.ToArray().Any(value => value != 0f));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_run_resumes_on_the_other_device_and_ends_where_a_cpu_run_ends(bool startOnGpu)
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), 96, 16);
        var config = new TrainConfig
        {
            Model = AlexNetMicro.Name, Data = data, Epochs = 1, BatchSize = 8, LearningRate = 0.02f, ValidationCount = 16,
            Threads = 1, Seed = 4, MaxSteps = 2,
        };
        var emulated = new DeviceSpec(DeviceKind.Emulated);
        var (first, then) = startOnGpu ? (emulated, DeviceSpec.Cpu) : (DeviceSpec.Cpu, emulated);
        new Trainer(config, temp.Combine("mixed"), new SilentObserver(), first).Run();
        new Trainer(config, temp.Combine("cpu"), new SilentObserver(), DeviceSpec.Cpu).Run();
        AssertSameState(temp.Combine("cpu"), temp.Combine("mixed"), "after 2 steps");

        // Both continue to the end of the epoch, the mixed run on the other device (validation and test there too).
        Trainer.Resume(temp.Combine("mixed"), new SilentObserver(), maxSteps: 1000, device: then);
        Trainer.Resume(temp.Combine("cpu"), new SilentObserver(), maxSteps: 1000, device: DeviceSpec.Cpu);
        var mixed = Checkpoints.Open(temp.Combine("mixed"), Checkpoints.Last);
        var cpuOnly = Checkpoints.Open(temp.Combine("cpu"), Checkpoints.Last);
        Assert.Equal(cpuOnly.Info.Step, mixed.Info.Step);
        // A run begun on the GPU records no CPU choices, which is no older checkpoint's: on the CPU it chooses as a new
        // run does, keeping its auto (it was rewritten to direct for good).
        if (startOnGpu)
        {
            Assert.Equal("auto", mixed.Info.Config!.ConvAlgorithm);
            Assert.NotNull(mixed.Info.Config.ConvolutionChoices);
        }
        AssertSameState(temp.Combine("cpu"), temp.Combine("mixed"), $"after {cpuOnly.Info.Step} steps");
    }

    // The check every 100 steps hashed the host's weights, which a GPU run refreshes only when it saves: ranks that
    // diverged were seen an epoch late, if at all. Here no save comes before step 100, so the old hash was step 0's.
    [Fact]
    public void The_replica_check_of_a_gpu_rank_hashes_the_weights_it_trains()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), train: 8 * 110, test: 8);
        var config = new TrainConfig
        {
            Model = AlexNetMicro.Name, Data = data, Epochs = 1, BatchSize = 8, LearningRate = 0.02f, ValidationCount = 8,
            Threads = 1, Seed = 4, MaxSteps = ConvNet.Distributed.DataParallel.CheckEvery,
        };
        var ranks = new ConvNet.Tests.Distributed.TwoIdenticalRanks();
        new Trainer(config, temp.Combine("run"), new SilentObserver(), new DeviceSpec(DeviceKind.Emulated), communicator: ranks).Run();
        var saved = Checkpoints.Open(temp.Combine("run"), Checkpoints.Last);
        Assert.Equal(ConvNet.Distributed.DataParallel.CheckEvery, saved.Info.Step);
        Assert.Contains((long)ConvNet.Distributed.ReplicaCheck.Hash(Checkpoints.LoadNetwork(saved).Parameters), ranks.Agreed);
    }

    /// <summary>Weights and momentum of two run folders' last checkpoints.</summary>
    private static void AssertSameState(string expectedRun, string actualRun, string when)
    {
        var expected = Checkpoints.Open(expectedRun, Checkpoints.Last);
        var actual = Checkpoints.Open(actualRun, Checkpoints.Last);
        AssertSameWeights(Checkpoints.LoadNetwork(expected), Checkpoints.LoadNetwork(actual), when);
        var expectedNet = Checkpoints.LoadNetwork(expected);
        var actualNet = Checkpoints.LoadNetwork(actual);
        var expectedSgd = new Sgd(expectedNet.Parameters);
        var actualSgd = new Sgd(actualNet.Parameters);
        Checkpoints.LoadMomentum(expected, expectedSgd);
        Checkpoints.LoadMomentum(actual, actualSgd);
        for (int i = 0; i < expectedSgd.Velocities.Count; i++)
            Close.All(TestData.ToDouble(expectedSgd.Velocities[i].Span), actualSgd.Velocities[i].Span, 1e-4, 1e-5,
                $"{expectedNet.Parameters[i].Name} momentum {when}");
    }

    [Fact]
    public void An_epoch_on_the_gpu_validates_and_tests_on_the_gpu()
    {
        using var temp = new TempDirectory();
        string data = TinyDataset.WriteIdx(temp.Combine("data"), 48, 16);
        var config = new TrainConfig { Model = AlexNetMicro.Name, Data = data, Epochs = 1, BatchSize = 8, ValidationCount = 16, Threads = 1, Seed = 2 };
        var onGpu = new Trainer(config, temp.Combine("gpu"), new SilentObserver(), new DeviceSpec(DeviceKind.Emulated)).Run();
        var onCpu = new Trainer(config, temp.Combine("cpu"), new SilentObserver(), DeviceSpec.Cpu).Run();
        Assert.Single(onGpu.History);
        Close.Scalar(onCpu.History[0].TrainLoss, onGpu.History[0].TrainLoss, 1e-4, "epoch training loss");
        Close.Scalar(onCpu.History[0].ValidationLoss, onGpu.History[0].ValidationLoss, 1e-4, "validation loss");
        // Float sums in another order may flip a close decision: allow one of the 16 test images.
        Assert.InRange(Math.Abs(onCpu.Test!.Metrics.Top1Error - onGpu.Test!.Metrics.Top1Error), 0, 1.0 / 16 + 1e-9);
    }

    /// <summary>The trainer's order (start step k, fill and stage batch k+1, end step k) trains on the staged batches
    /// in turn, through both staging buffers, and a batch staged twice within one step trains on the second (the
    /// emulated device copies at once, so this checks which buffer each step reads, not the streams' timing).</summary>
    [Fact]
    public void Staged_batches_are_the_ones_trained_on()
    {
        const int batch = 3, steps = 4;
        var spec = AlexNetMicro.Spec(10, 1, 28);
        var rng = new Rng(4);
        var xs = new List<Tensor>();
        var labels = new List<int[]>();
        for (int s = 0; s < steps + 1; s++)
        {
            var x = new Tensor([batch, .. spec.InputShape]);
            for (int i = 0; i < x.Length; i++) x.Span[i] = (float)rng.NextGaussian();
            xs.Add(x);
            labels.Add(Enumerable.Range(0, batch).Select(_ => rng.NextInt(10)).ToArray());
        }
        var decoy = new Tensor([batch, .. spec.InputShape]);
        decoy.Span.Fill(7f);

        float[] Losses(bool staged)
        {
            var host = NetworkBuilder.Build(spec);
            host.Initialize(new Rng(5));
            var sgd = new Sgd(host.Parameters, 0.05f, 0.9f, 0.0005f);
            using var g = new GpuNetwork(gpu.Device, host);
            g.Plan(batch, forTraining: true);
            g.UploadVelocities(sgd);
            var losses = new float[steps];
            for (int s = 0; s < steps; s++)
            {
                if (!staged) { losses[s] = g.TrainStep(xs[s], labels[s], (ulong)s, sgd); continue; }
                if (s == 0) g.Stage(xs[0]);
                g.BeginTrainStep(xs[s], labels[s], (ulong)s, sgd);
                if (s == 1) g.Stage(decoy); // replaced below before it is taken
                g.Stage(xs[s + 1]);
                losses[s] = g.EndTrainStep();
            }
            return losses;
        }

        var expected = Losses(staged: false);
        var actual = Losses(staged: true);
        for (int s = 0; s < steps; s++) Assert.Equal(expected[s], actual[s]);
    }

    private static void AssertSameWeights(Network expected, Network actual, string when)
    {
        for (int i = 0; i < expected.Parameters.Count; i++)
            Close.All(TestData.ToDouble(expected.Parameters[i].Value.Span), actual.Parameters[i].Value.Span, 1e-4, 1e-5,
                $"{expected.Parameters[i].Name} {when}");
    }
}
