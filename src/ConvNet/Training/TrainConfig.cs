// Everything that defines a training run; saved in every checkpoint so a resumed run continues with the same recipe.
using System.Text.Json.Serialization;

namespace ConvNet.Training;

/// <summary>A training run's recipe. <c>new TrainConfig()</c> is alexnet-small on Fashion-MNIST for 10 epochs with the
/// paper's optimiser settings (lr 0.01 divided by 10 on plateaus, momentum 0.9, weight decay 0.0005, batch 128);
/// <see cref="DefaultsFor"/> gives what <c>convnet train --model NAME</c> starts from (alexnet-small's own recipe:
/// 12 epochs of a cosine schedule from 0.05). Validate's messages name the CLI options, which
/// are the settings' names people see in runs and reports.</summary>
public sealed record TrainConfig
{
    public string Model { get; init; } = "alexnet-small";
    public string Data { get; init; } = "fashion-mnist";
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 128;
    public float LearningRate { get; init; } = 0.01f;
    public float Momentum { get; init; } = 0.9f;
    public float WeightDecay { get; init; } = 0.0005f;
    /// <summary>plateau (the paper's /10 when validation error stops improving), step, or cosine.</summary>
    public string Schedule { get; init; } = "plateau";
    /// <summary>plateau: epochs without improvement before dividing the rate.</summary>
    public int Patience { get; init; } = 1;
    /// <summary>step: epochs between reductions.</summary>
    public int StepSize { get; init; } = 30;
    /// <summary>plateau and step: the factor applied at each reduction.</summary>
    public float Gamma { get; init; } = 0.1f;
    public ulong Seed { get; init; } = 1;
    public int Threads { get; init; } = Environment.ProcessorCount;
    public int ValidationCount { get; init; } = 5000;
    public int CropPadding { get; init; }
    public bool HorizontalFlip { get; init; }
    /// <summary>In-memory data: the probability of erasing one random rectangle of each training image to the channel
    /// mean (torchvision's RandomErasing after Normalize; 0: off).</summary>
    public float RandomErase { get; init; }
    /// <summary>The loss's target: (1 - e) onehot + e / K instead of the one-hot label (PyTorch's label_smoothing).</summary>
    public float LabelSmoothing { get; init; }
    /// <summary>Save a checkpoint every this many steps as well as at each epoch end (0: epoch ends only).</summary>
    public int CheckpointEvery { get; init; }
    /// <summary>The paper net's bias constant for conv2/4/5 and fc6/fc7 (paper 1, Caffe 0.1).</summary>
    public float BiasInit { get; init; } = 1f;
    /// <summary>channel (per-channel mean/std of the training split) or none.</summary>
    public string Normalization { get; init; } = "channel";
    /// <summary>Stop after this many steps of this invocation (0: no limit). A property of one invocation, not of the
    /// run, so it is never saved: a trial run with a limit followed by a plain --resume trains to the end.</summary>
    [JsonIgnore]
    public long MaxSteps { get; init; }

    /// <summary>Image data (folder:, list:, cache:): random crops of the model's input size (off: centre crops).</summary>
    public bool RandomCrop { get; init; } = true;
    /// <summary>Image data: random horizontal mirrors.</summary>
    public bool Mirror { get; init; } = true;
    /// <summary>Image data: standard deviation of the PCA colour noise coefficients (paper 0.1; 0: off).</summary>
    public float PcaNoise { get; init; } = 0.1f;
    /// <summary>Image data: threads decoding and augmenting images (0: as many as Threads).</summary>
    public int LoaderThreads { get; init; }
    /// <summary>Image data: batches prepared ahead of the training step (0: none).</summary>
    public int Prefetch { get; init; } = 2;

    /// <summary>CPU convolutions: auto (each layer times direct and Winograd when planned), direct or winograd.</summary>
    public string ConvAlgorithm { get; init; } = "auto";
    /// <summary>What auto chose for each layer, "conv1=direct,conv3=winograd", recorded by the first invocation so a
    /// resumed run computes exactly as before (null until then, and for a run that has trained only on a GPU, which
    /// has no Winograd; checkpoints from before these were recorded continue direct, as they ran).</summary>
    public string? ConvolutionChoices { get; init; }

    public static IReadOnlyList<string> Schedules { get; } = ["plateau", "step", "cosine"];

    /// <summary>The most batches --prefetch may prepare ahead.</summary>
    public const int MaxPrefetch = 16;
    /// <summary>The largest --pca-noise: ten times the paper's 0.1.</summary>
    public const float MaxPcaNoise = 1f;

    /// <summary>The defaults for a model: the paper's recipe (learning rate 0.01, divided by 10 on plateaus), except for
    /// alexnet-small, the first model a new user trains, whose best measured recipe is a cosine schedule from 0.05 over
    /// 12 epochs (BENCHMARKS.md, "Fashion-MNIST"; 93.25 % in 8.4 minutes on two cores, within the 10 minutes issue 15
    /// allows; the 8 epochs before gave 92.70 %).</summary>
    public static TrainConfig DefaultsFor(string model) => model == Models.AlexNetSmall.Name
        ? new TrainConfig { Model = model, Epochs = 12, LearningRate = 0.05f, Schedule = "cosine" }
        : new TrainConfig { Model = model };

    /// <summary>The settings (property names) a run with this configuration never reads, though every checkpoint records
    /// them: image-data augmentation and loading on in-memory data; in-memory augmentation and --normalization on image
    /// data (which subtracts the run's mean image); --validation on image data with its own validation split (nothing is
    /// held out; told from the data's folder, so a run whose data has gone shows it); --bias-init on every model but the
    /// paper's alexnet; what another schedule reads (plateau: patience and gamma; step: step size and gamma; cosine:
    /// none). `report` leaves them out of the recipe it shows, and `train` refuses them when the command line gives them.</summary>
    public IReadOnlySet<string> NotApplied()
    {
        var unused = new HashSet<string>(StringComparer.Ordinal);
        if (ConvNet.Data.Images.ImageDataSpec.IsImageSpec(Data))
            unused.UnionWith([nameof(CropPadding), nameof(HorizontalFlip), nameof(RandomErase), nameof(Normalization)]);
        else
            unused.UnionWith([nameof(RandomCrop), nameof(Mirror), nameof(PcaNoise), nameof(LoaderThreads), nameof(Prefetch)]);
        if (ConvNet.Data.Images.ImageDataSpec.HasOwnValidation(Data)) unused.Add(nameof(ValidationCount));
        if (Model != Models.AlexNetPaper.Name) unused.Add(nameof(BiasInit));
        switch (Schedule)
        {
            case "plateau": unused.Add(nameof(StepSize)); break;
            case "step": unused.Add(nameof(Patience)); break;
            case "cosine": unused.UnionWith([nameof(Patience), nameof(StepSize), nameof(Gamma)]); break;
        }
        return unused;
    }

    public void Validate() => Validate(resuming: false);

    /// <param name="resuming">a run saved earlier: rules added since it was saved (a plateau --gamma of 1 or more) do
    /// not stop it from continuing with its recipe</param>
    public void Validate(bool resuming)
    {
        if (Epochs < 1) throw Diagnostics.InvariantRefusal.Of($"--epochs must be at least 1, got {Epochs}");
        if (BatchSize < 1) throw Diagnostics.InvariantRefusal.Of($"--batch-size must be at least 1, got {BatchSize}");
        if (!(LearningRate > 0) || float.IsInfinity(LearningRate)) throw Diagnostics.InvariantRefusal.Of($"--lr must be a positive finite number, got {LearningRate}");
        if (!(Momentum is >= 0 and < 1)) throw Diagnostics.InvariantRefusal.Of($"--momentum must be in [0, 1), got {Momentum}");
        if (!(WeightDecay >= 0) || float.IsInfinity(WeightDecay)) throw Diagnostics.InvariantRefusal.Of($"--weight-decay must be a non-negative finite number, got {WeightDecay}");
        if (!Schedules.Contains(Schedule)) throw Diagnostics.InvariantRefusal.Of($"unknown --schedule '{Schedule}' (known: {string.Join(", ", Schedules)})");
        if (Threads < 1 || Threads > Threading.WorkerPool.MaxWorkers) throw Diagnostics.InvariantRefusal.Of($"--threads must be 1..{Threading.WorkerPool.MaxWorkers}, got {Threads}");
        if (Patience < 1) throw Diagnostics.InvariantRefusal.Of($"--patience must be at least 1, got {Patience}");
        if (StepSize < 1) throw Diagnostics.InvariantRefusal.Of($"--step-size must be at least 1, got {StepSize}");
        if (!(Gamma > 0) || float.IsInfinity(Gamma)) throw Diagnostics.InvariantRefusal.Of($"--gamma must be a positive finite number, got {Gamma}");
        // As PyTorch's ReduceLROnPlateau (factor < 1): a "reduction" by 1 or more would hold or raise the rate each time the
        // validation error stops improving. step takes any positive factor, as StepLR does.
        if (!resuming && Schedule == "plateau" && !(Gamma < 1))
            throw Diagnostics.InvariantRefusal.Of($"--gamma must be below 1 with --schedule plateau (each reduction multiplies the rate by it), got {Gamma}");
        if (MaxSteps < 0) throw Diagnostics.InvariantRefusal.Of($"--max-steps must be non-negative, got {MaxSteps}");
        if (ValidationCount < 0) throw Diagnostics.InvariantRefusal.Of($"--validation must be non-negative, got {ValidationCount}");
        if (CropPadding < 0) throw Diagnostics.InvariantRefusal.Of($"--crop-padding must be non-negative, got {CropPadding}");
        if (!(RandomErase is >= 0f and <= 1f)) throw Diagnostics.InvariantRefusal.Of($"--random-erase must be in [0, 1], got {RandomErase}");
        if (ConvNet.Data.Images.ImageDataSpec.IsImageSpec(Data) && (CropPadding > 0 || HorizontalFlip || RandomErase > 0))
        {
            // Only the ones set: naming all three told a user who gave --flip of two options they never wrote.
            string[] set = [.. new[] { (CropPadding > 0, "--crop-padding"), (HorizontalFlip, "--flip"), (RandomErase > 0, "--random-erase") }
                .Where(o => o.Item1).Select(o => o.Item2)];
            string named = set.Length == 1 ? $"{set[0]} applies" : $"{string.Join(", ", set[..^1])} and {set[^1]} apply";
            throw new ArgumentException($"{named} to in-memory datasets (fashion-mnist, cifar10, idx:, ...); " +
                $"image data ({Data}) takes random crops and mirrors by default (--no-random-crop, --no-mirror) and PCA colour noise (--pca-noise)");
        }
        if (!(LabelSmoothing >= 0 && LabelSmoothing < 1)) throw Diagnostics.InvariantRefusal.Of($"--label-smoothing must be in [0, 1), got {LabelSmoothing}");
        if (!float.IsFinite(BiasInit)) throw Diagnostics.InvariantRefusal.Of($"--bias-init must be a finite number, got {BiasInit}");
        if (CheckpointEvery < 0) throw Diagnostics.InvariantRefusal.Of($"--checkpoint-every must be non-negative, got {CheckpointEvery}");
        // Above 1 (ten times the paper's) a typical shift is most of the pixel range: the run trains on noise, or
        // overflows and blames --lr.
        // (A run started with more by an earlier version resumes as it was.)
        if (!(PcaNoise >= 0 && (PcaNoise <= MaxPcaNoise || resuming && float.IsFinite(PcaNoise))))
            throw Diagnostics.InvariantRefusal.Of($"--pca-noise must be 0..{MaxPcaNoise} (the paper's is 0.1), got {PcaNoise}");
        if (LoaderThreads < 0 || LoaderThreads > Threading.WorkerPool.MaxWorkers) throw Diagnostics.InvariantRefusal.Of($"--loader-threads must be 0..{Threading.WorkerPool.MaxWorkers}, got {LoaderThreads}");
        // Each prefetched batch is a whole input tensor held in memory (79 MB for the paper net at batch 128).
        if (Prefetch is < 0 or > MaxPrefetch) throw Diagnostics.InvariantRefusal.Of($"--prefetch must be 0..{MaxPrefetch}, got {Prefetch}");
        Kernels.Cpu.ConvolutionSelection.Parse(ConvAlgorithm);
        if (Normalization is not ("channel" or "none")) throw Diagnostics.InvariantRefusal.Of($"unknown --normalization '{Normalization}' (known: channel, none)");
    }
}
