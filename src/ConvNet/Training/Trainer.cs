// The training loop: data, model, SGD, schedule, per-epoch validation, checkpoints and resume.
// Every random draw is a pure function of (seed, epoch, batch, step): the shuffle of an epoch, each batch's
// augmentation and each step's dropout masks. So a run resumed from any checkpoint continues bit-identically
// to one that was never interrupted (same seed and thread count).
// Data-parallel runs (several ranks under mpiexec) go through one seam, DataParallel: each rank trains on its share
// of every global batch, its engine averages gradients over the ranks, and only rank 0 writes the run folder.
using System.Diagnostics;
using ConvNet.Data;
using ConvNet.Devices;
using ConvNet.Distributed;
using ConvNet.Evaluation;
using ConvNet.Layers;
using ConvNet.Models;
using ConvNet.Random;
using ConvNet.Tensors;
using ConvNet.Threading;

namespace ConvNet.Training;

public sealed record TrainResult(IReadOnlyList<EpochMetrics> History, EvaluationResult? Test, string RunDirectory, bool StoppedEarly)
{
    /// <summary>Stopped by a cancellation (Ctrl+C), on this rank or, in a data-parallel run, on any rank.</summary>
    public bool Interrupted { get; init; }
}

/// <param name="device">where the steps run (the CPU engine when null); a property of this invocation, not of the run:
/// a run started on one device resumes on any other</param>
/// <param name="communicator">the ranks of a data-parallel run (one process when null); like the device, a property of
/// this invocation: a run resumes with any number of ranks that divides its batch size</param>
public sealed class Trainer(TrainConfig config, string runDirectory, ITrainingObserver observer, DeviceSpec? device = null,
    ICommunicator? communicator = null)
{
    private readonly DeviceSpec _device = device ?? DeviceSpec.Cpu;
    private readonly ICommunicator _communicator = communicator ?? SingleProcess.Instance;
    // Only rank 0 reports; the others' errors still surface as exceptions.
    private readonly ITrainingObserver _observer = (communicator ?? SingleProcess.Instance).IsRoot ? observer : new SilentObserver();

    private const ulong ShuffleStream = 1, AugmentStream = 2, DropoutStream = 3;

    // The run --force replaces, until this run has a checkpoint of its own (rank 0 only).
    private ReplacedRun? _replaced;
    // The run folder's lock (rank 0 only; none for a read-only folder): checked before each checkpoint.
    private RunFolderLock? _folderLock;
    // --resume --data MOVED: the path the run's older sidecars still name, rewritten with its first save.
    private string? _dataMovedFrom;

    /// <summary>Starts a new run in an empty (or new) run folder; a folder that already holds a run is refused
    /// (its checkpoints would be replaced), unless <paramref name="overwrite"/>.</summary>
    public TrainResult Run(CancellationToken cancel = default, bool overwrite = false)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(runDirectory);
        ArgumentNullException.ThrowIfNull(observer);
        // Before anything else: a rank resuming (or naming another folder) while the others start this run would wait
        // for them in collectives they never make.
        RankAgreement.RequireSameRun(_communicator, resuming: false, runDirectory);
        // The run records where its data is, so --resume, eval and show find it from any working directory.
        config = config with { Data = DatasetSpec.WithAbsolutePaths(config.Data) };
        // A refused option touches no folder: two mistyped commands naming one --out raced for its lock, and the
        // second was told of the other's folder instead of its own mistake.
        config.Validate(resuming: false);
        bool root = _communicator.IsRoot;
        bool created = root && !string.IsNullOrWhiteSpace(runDirectory) && !Directory.Exists(runDirectory) && !File.Exists(runDirectory);
        // The folders above it made for it go with it when nothing to resume is left.
        string? firstMade = created ? IO.FolderPath.OutermostMissing(runDirectory) : null;
        RunFolderLock? folderLock = null;
        try
        {
            // Locked before the check for an earlier run, so two invocations cannot both pass it.
            if (root)
            {
                CreateRunFolder(runDirectory);
                folderLock = RunFolderLock.Acquire(runDirectory);
                _folderLock = folderLock;
            }
            // Only rank 0 writes the run, so only it checks the folder: the other ranks' view of it may be another
            // machine's disk, or a shared one caught mid-way through rank 0's settling. A refusal there aborts them all.
            if (root && !overwrite)
            {
                SettleLeftover(runDirectory, _observer);
                Checkpoints.RequireNoRun(runDirectory);
                // A previous.json another run left (its last.json and best.json deleted) would be this run's fallback:
                // a damaged last.json then resumed the other run.
                Checkpoints.DropStrayPrevious(runDirectory);
            }
            else if (root) _replaced = ReplacedRun.SetAside(runDirectory);
            var result = Execute(resumeFrom: null, cancel);
            // Stopped (Ctrl+C) before its first step: as after a failure, nothing to resume is left behind, except an
            // image scan (it ran to its end: hours on ImageNet), which the next train into the folder reuses.
            if (created && folderLock is not null) DeleteIfNothingToResume(ref folderLock, keepScan: true, firstMade);
            return result;
        }
        catch when (created && folderLock is not null && folderLock.Held && !File.Exists(Path.Combine(runDirectory, Checkpoints.Last + ".json")))
        {
            // Failed before its first checkpoint (missing data, model/data mismatch, too few images, an early
            // divergence): a folder this run made holds nothing to resume, so it goes.
            DeleteIfNothingToResume(ref folderLock, keepScan: false, firstMade);
            throw;
        }
        finally
        {
            // A checkpoint written just before a failure (last.json saved, best.json not) is this run's: the old run
            // goes. Stopped (or failed) before any: the run it was to replace stays as it was.
            if (_replaced is not null && Checkpoints.HoldsRun(runDirectory)) DiscardReplaced();
            else if (_replaced is not null)
            {
                try
                {
                    _replaced.Restore();
                    _observer.Message($"note: {runDirectory} keeps the run that was there before --force (this one wrote no checkpoint)");
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    _observer.Message($"warning: could not put back the run --force replaced ({e.Message}); the next train or --resume in {runDirectory} does");
                }
                _replaced = null;
            }
            folderLock?.Dispose();
        }
    }

    // Only while this process holds the folder's lock: one refused by the lock may have raced another that made the
    // folder and trains in it now.
    private void DeleteIfNothingToResume(ref RunFolderLock? folderLock, bool keepScan, string? firstMade)
    {
        if (folderLock is null || !folderLock.Held || File.Exists(Path.Combine(runDirectory, Checkpoints.Last + ".json"))) return;
        if (keepScan && File.Exists(Path.Combine(runDirectory, ImageTrainingData.ScanFile)))
        {
            _observer.Message($"note: {runDirectory} keeps the image scan and mean image made before the stop ({ImageTrainingData.ScanFile}, " +
                $"{ImageTrainingData.PreprocessingFile}): the next train with this --out reuses them");
            return;
        }
        folderLock.DeleteFolderAndRelease();
        folderLock = null;
        if (!Directory.Exists(runDirectory)) IO.FolderPath.RemoveEmptyFoldersMade(runDirectory, firstMade);
    }

    // Once this run has a checkpoint. A delete that fails is finished by the next train or --resume in the folder.
    private void DiscardReplaced()
    {
        var replaced = _replaced;
        _replaced = null;
        try
        {
            replaced?.Discard();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _observer.Message($"warning: could not delete the run --force replaced ({e.Message}); the next train or --resume in {runDirectory} does");
        }
    }

    private static void CreateRunFolder(string runDirectory)
    {
        if (string.IsNullOrWhiteSpace(runDirectory)) throw new ArgumentException("--out: give the name of the run folder");
        if (File.Exists(runDirectory)) throw new CheckpointException($"--out {runDirectory}: is a file; --out names the run folder to write");
        // The run's files (last.json, checkpoints/, metrics.*) would sit among the system's own folders.
        if (Path.GetFullPath(runDirectory) == Path.GetPathRoot(Path.GetFullPath(runDirectory)))
            throw new CheckpointException($"--out {runDirectory}: is the root of the file system; name a folder for the run (e.g. runs/NAME)");
        if (IO.FolderPath.FileAbove(runDirectory) is { } file)
            throw new CheckpointException($"--out {runDirectory}: {file} is a file, not a folder, so the run folder cannot be made there; choose another --out");
        // A run written beside a prepared cache's packs would leave a folder that is both (train --data cache: reads it anywhere).
        if (File.Exists(Path.Combine(runDirectory, Data.Images.PackedImageCache.InfoFile)))
            throw new CheckpointException(Checkpoints.HoldsOtherOutput(runDirectory, $"an image cache ({Data.Images.PackedImageCache.InfoFile})", "train"));
        try
        {
            Directory.CreateDirectory(runDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException($"{runDirectory}: cannot create the run folder ({IO.SystemMessage.WhyNotCreated(e)})");
        }
    }

    // What a killed --force left is settled before anything reads the folder; a run brought back is worth a note.
    private static void SettleLeftover(string runDirectory, ITrainingObserver observer)
    {
        if (ReplacedRun.SettleLeftover(runDirectory))
            observer.Message($"note: {runDirectory}: brought back the run a killed --force had set aside");
    }

    /// <summary>Continues the run in <paramref name="runDirectory"/> from its last checkpoint with its saved recipe.
    /// Only the thread count, this invocation's step limit and the number of epochs (to extend a finished schedule) may
    /// differ from the saved configuration.</summary>
    /// <param name="data">where the run's dataset is now, when it has moved since the run recorded it (the same kind of
    /// spec: mnist:, idx:, cifar10:, folder:, list: or cache:)</param>
    public static TrainResult Resume(string runDirectory, ITrainingObserver observer, CancellationToken cancel = default,
        int? threads = null, long? maxSteps = null, int? epochs = null, DeviceSpec? device = null, ICommunicator? communicator = null,
        string? data = null)
    {
        ArgumentNullException.ThrowIfNull(runDirectory);
        ArgumentNullException.ThrowIfNull(observer);
        var all = communicator ?? SingleProcess.Instance;
        RankAgreement.RequireSameRun(all, resuming: true, runDirectory); // before the barrier below, which a new run never enters
        // Before any note: a missing GPU gave "training to 3 epochs instead of 2" and then the error, and a finished
        // run resumed on it exited 0.
        if (device is { } requested) DeviceNetworks.RequireAvailable(requested);
        if (!all.IsRoot) observer = new SilentObserver();
        // Falling back from a damaged last.json rewrites it, so the lock comes first (Checkpoints.OpenForResume names a
        // missing folder). A read-only folder can take no lock and no write either: a finished run there still says
        // so, and one with steps left stops at the writability check.
        using var folderLock = all.IsRoot && Directory.Exists(runDirectory) ? RunFolderLock.AcquireUnlessReadOnly(runDirectory) : null;
        if (folderLock is not null) SettleLeftover(runDirectory, observer);
        // Rank 0 opens the checkpoint first: falling back to the one before a damaged last.json rewrites it. The other
        // ranks then only read what it settled on.
        if (!all.IsRoot) all.Barrier(cancel);
        var checkpoint = all.IsRoot ? Checkpoints.OpenForResume(runDirectory, observer.Message) : Checkpoints.Open(runDirectory, Checkpoints.Last, verifyMomentum: true);
        if (all.IsRoot) all.Barrier(cancel);
        var info = checkpoint.Info;
        var config = info.Config ?? throw new CheckpointException($"{checkpoint.SidecarPath}: has no training configuration to resume" +
            (info.Source is not null ? $" (an imported model, made by convnet import from {info.Source}: there is no run to continue)" : ""));
        // What the sidecar records, named as its own: a recipe no run could have ("--batch-size must be at least 1" named an
        // option never given), and a history of another length than the epochs its counters say (the log is rewritten
        // from it: an empty one wiped metrics.jsonl, a longer one wrote epochs 1, 2, 3, 2, 3).
        if (info.History.Count != info.Epoch)
            throw new CheckpointException($"{checkpoint.SidecarPath}: its history holds {info.History.Count} epochs, but it was saved after {info.Epoch}: edited or damaged; resume from another checkpoint");
        // Every run records both; without them the rate would restart from the recipe's (a plateau schedule's
        // reductions lost) and the epoch in progress would report the loss of its resumed part alone.
        if (info.Schedule is null || info.Accumulator is null)
            throw new CheckpointException($"{checkpoint.SidecarPath}: has no \"{(info.Schedule is null ? "schedule" : "accumulator")}\" record " +
                $"({(info.Schedule is null ? "the learning rate's state" : "the sums of the epoch in progress")}), which every run saves: edited or damaged; resume from another checkpoint");
        // Said once the run is known to train on (a finished one records nothing, so "recording 3 threads" was false).
        string? threadsNote = null;
        if (threads is { } t && t != config.Threads)
        {
            // On a GPU the steps run on the device, which --threads does not touch (it is kept for a resume on the CPU).
            threadsNote = device is { IsGpu: true }
                ? $"note: recording {t} thread{(t == 1 ? "" : "s")} instead of {config.Threads} for a later resume on the CPU; on --device {device} the steps run on the device, which --threads does not change"
                : $"note: resuming with {t} thread{(t == 1 ? "" : "s")} instead of {config.Threads}; results will not be bit-identical to an uninterrupted run";
            config = config with { Threads = t };
        }
        config = config with { MaxSteps = maxSteps ?? 0 };
        string? movedFrom = null;
        if (data is not null && DatasetSpec.WithAbsolutePaths(data) is var moved && moved != config.Data)
        {
            if (DatasetSpec.Kind(moved) != DatasetSpec.Kind(config.Data))
                throw new ArgumentException($"--data {data}: {runDirectory} was trained on {config.Data}; on --resume, --data can only say where " +
                    $"that dataset is now ({DatasetSpec.Kind(config.Data)}:...), not change it");
            observer.Message($"note: reading the run's data from {moved} instead of {config.Data}");
            movedFrom = config.Data;
            config = config with { Data = moved };
        }
        else if (DatasetSpec.MissingRelativePath(config.Data) is { } missing)
            throw new DataException($"{config.Data}: {runDirectory} recorded its data by the relative path {missing}, which is not found from " +
                $"{Environment.CurrentDirectory}; resume from the folder it was trained in, or say where the data is with --data");
        // As eval and show say it: the reader's own "directory not found" did not say that --data can name the new place.
        else if (DatasetSpec.MissingPath(config.Data) is { } gone)
            throw new DataException($"{config.Data}: {gone} is not found; {runDirectory} recorded this data, so it has moved or was deleted: " +
                "say where it is now with --data");
        if (Data.Images.ImageDataSpec.IsImageSpec(config.Data) && (config.CropPadding > 0 || config.HorizontalFlip || config.RandomErase > 0))
        {
            // Runs saved before these options were refused on image data recorded them without effect: drop them, so
            // the run resumes computing exactly what it did.
            observer.Message("note: this run's --crop-padding/--flip/--random-erase never applied to its image data; resuming without them");
            config = config with { CropPadding = 0, HorizontalFlip = false, RandomErase = 0f };
        }
        if (config.Schedule == "plateau" && config.Gamma >= 1)
            observer.Message($"note: this run's --gamma {config.Gamma} does not reduce the rate on plateaus (new runs refuse --gamma 1 or more with --schedule plateau); resuming with its recipe");
        if (epochs is { } e && e != config.Epochs)
        {
            // The epoch it is in (or the next one) must be trained: --epochs equal to the epochs done trains nothing,
            // and saying "training to 2 epochs" then ending with "already trained all its 2 epochs" helped no one.
            int least = info.Epoch + 1;
            if (e < least)
                throw new ArgumentException($"--epochs {e}: {runDirectory} has trained {(info.BatchInEpoch > 0 ? $"into epoch {least}" : $"{info.Epoch} epochs")} " +
                    $"of its {config.Epochs}, so --epochs {e} would train nothing; give at least {least}" +
                    (info.Epoch < config.Epochs ? $", or leave --epochs out to train to {config.Epochs}" : ""));
            observer.Message($"note: training to {e} epochs instead of {config.Epochs}" +
                (config.Schedule == "cosine" ? $"; the cosine schedule now anneals over {e} epochs, so the rate {(e > config.Epochs ? "rises" : "falls")} from where it was" : ""));
            config = config with { Epochs = e };
        }
        if (info.Epoch >= config.Epochs)
        {
            if (folderLock is not null)
            {
                // A run killed after its last checkpoint, while it logged that epoch, counts as finished yet kept a
                // hidden temporary file and metrics without its last epoch: settled as a resume settles them.
                Checkpoints.RemoveUnfinishedWrites(runDirectory);
                new MetricsLog(runDirectory).Rewrite(info.History);
            }
            observer.Message($"{runDirectory} has already trained all its {config.Epochs} epoch{(config.Epochs == 1 ? "" : "s")} (step {info.Step}); " +
                $"to train further, pass --epochs with more, e.g. --resume {IO.ShellQuote.Word(runDirectory)} --epochs {config.Epochs + 1}");
            return new TrainResult(info.History, null, runDirectory, StoppedEarly: false);
        }
        if (threadsNote is not null) observer.Message(threadsNote);
        // After the adjustments above (options older versions recorded without effect, --threads, --epochs).
        try { config.Validate(resuming: true); }
        catch (ArgumentException bad) { throw new CheckpointException($"{checkpoint.SidecarPath}: records a recipe no run can have ({bad.Message}): edited or damaged; resume from another checkpoint"); }
        return new Trainer(config, runDirectory, observer, device, communicator) { _folderLock = folderLock, _dataMovedFrom = movedFrom }.Execute(checkpoint, cancel);
    }

    private TrainResult Execute(LoadedCheckpoint? resumeFrom, CancellationToken cancel)
    {
        config.Validate(resuming: resumeFrom is not null);
        DeviceNetworks.RequireAvailable(_device); // before any training output (Run has made the folder and its lock only)
        var parallel = new DataParallel(_communicator, config.BatchSize, resumed: resumeFrom is not null);
        bool root = parallel.IsRoot;
        // The configuration must be the same on every rank before any collective with a length depends on it.
        ReplicaCheck.RequireSameFields(_communicator, System.Text.Json.JsonSerializer.Serialize(config with { Threads = 0, LoaderThreads = 0, Prefetch = 0 }, CheckpointInfo.Json), "the training configuration");
        // Not saved with the run, so not in its configuration, yet ranks that differ in them stop at different steps, or
        // reduce gradients in different pieces, and wait for each other in a collective until the watchdog's limit.
        ReplicaCheck.RequireSame(_communicator, (ulong)config.MaxSteps, "--max-steps");
        ReplicaCheck.RequireSame(_communicator, (ulong)_device.Kind, "the kind of --device (cpu, cuda or emulated; the GPU index may differ)");
        if (root) Directory.CreateDirectory(runDirectory); // Run made it already; a resumed run's exists
        // The other ranks read rank 0's scan of image data (and its checkpoint) from the run folder: each must see the
        // folder rank 0 locked, not a folder of its own (another disk, another --out), or it would scan and write there.
        RankAgreement.RequireSharedRunFolder(_communicator, runDirectory, LockToken(runDirectory));
        // Image data: rank 0 scans the images and caches the mean image in the run folder first; the other ranks then
        // read that cache (the folder is shared), so all train on the same inputs and only rank 0 writes.
        if (!root) _communicator.Barrier(cancel);
        using var splits = TrainingData.Open(config,
            resumeFrom is null ? null : new Normalization(resumeFrom.Info.NormalizationMean, resumeFrom.Info.NormalizationStd),
            runDirectory, _observer.Message, resumeFrom?.Info.Preprocessing, scansAgain: root);
        if (root) _communicator.Barrier(cancel);
        var (train, validation, test, normalization, preprocessing, dataSha256, testSha256) = splits;
        // The configuration names the same path on every rank, but a path may hold other files on another machine (or
        // in another mount): each rank would train on its own data, or score its own share of another test set, without a word.
        RankAgreement.RequireSameData(_communicator, config.Data, $"{dataSha256}\n{testSha256}\n{string.Join('\n', train.ClassNames)}",
            train.Count, validation?.Count ?? 0, test?.Count ?? 0);
        if (resumeFrom?.Info is { } saved)
        {
            // The data must be what the run trained on (--resume --data may only say where it has moved).
            if (!train.ClassNames.SequenceEqual(saved.ClassNames))
                throw new DataException(train.ClassNames.Order(StringComparer.Ordinal).SequenceEqual(saved.ClassNames.Order(StringComparer.Ordinal))
                    // Folder classes sort by code point since 2026-11-30; a run trained before on names that order
                    // differently (U+E000-U+FFFF against names above U+FFFF) numbered them otherwise.
                    ? $"{config.Data}: its classes are the ones {resumeFrom.SidecarPath} trained on, but numbered in another order " +
                      "(class folders now sort by code point, as torchvision's ImageFolder does); this run cannot go on with them: start a new run"
                    : $"{config.Data}: its classes ({ClassNames.Preview(train.ClassNames, 5)}) are not the ones {resumeFrom.SidecarPath} trained on " +
                      $"({ClassNames.Preview(saved.ClassNames, 5)}); resume on the run's own data");
            if (saved.TrainingDataSha256 is { } trained && dataSha256 is not null && trained != dataSha256)
                throw new DataException($"{config.Data}: its training images are not the ones {resumeFrom.SidecarPath} trained on " +
                    "(their SHA-256 differs: other images, labels or order); --data on --resume may only say where the run's data has moved");
            if (saved.TrainingDataSha256 is null && dataSha256 is not null)
                _observer.Message($"note: {resumeFrom.SidecarPath} was saved before runs recorded their training images' SHA-256; " +
                    $"from now on it records that of {config.Data}");
            if (saved.BatchInEpoch * (long)config.BatchSize >= train.Count)
                throw new DataException($"{config.Data}: {train.Count} training images, but {resumeFrom.SidecarPath} stopped after {saved.BatchInEpoch} batches " +
                    $"of {config.BatchSize} into its epoch; resume on the run's own data");
        }
        // After the resume's checks: other data named on --resume is refused as other data, not for its size.
        if (train.Count < config.BatchSize)
            throw new ArgumentException($"--batch-size {config.BatchSize}: the training split has {train.Count} images, fewer than one batch" +
                (resumeFrom is null ? "" : " (the run's batch size)"));
        // plateau watches the validation error: without one the rate would never change, without a word.
        if (validation is null && config.Schedule == "plateau")
        {
            string why = $"--schedule plateau divides the rate when the validation error stops improving, and {config.Data} has no validation split here (--validation 0)";
            if (resumeFrom is null) throw new ArgumentException($"{why}: use --schedule step or cosine, or hold out images with --validation N");
            _observer.Message($"note: {why}, so this run's rate stays at {LearningRateText.Format(resumeFrom.Info.Schedule?.LearningRate ?? config.LearningRate)}");
        }

        int[] dataShape = train.SampleShape;
        var spec = ModelRegistry.Spec(config.Model, new ModelOptions(train.ClassNames.Count, config.BiasInit, dataShape[0], dataShape[1]));
        if (!spec.InputShape.SequenceEqual(dataShape))
            throw new ArgumentException($"model {config.Model} takes {string.Join("x", spec.InputShape)} images but {config.Data} has {string.Join("x", dataShape)}");
        var network = NetworkBuilder.Build(spec);
        var sgd = new Sgd(network.Parameters, config.LearningRate, config.Momentum, config.WeightDecay);

        var schedule = LearningRateSchedule.Start(config);
        var history = new List<EpochMetrics>();
        var savedHere = new HashSet<string>(StringComparer.Ordinal); // the checkpoints a linked checkpoints/ may lose
        int startEpoch = 0, startBatch = 0;
        long step = 0, firstStep = 0;
        double elapsedBefore = 0;
        var accumulator = EpochAccumulator.Empty;
        if (root) Checkpoints.RequireWritable(runDirectory);
        var log = root ? new MetricsLog(runDirectory) : null;
        bool warnedUnreadable = false; // Save's warning about a sidecar it cannot read, given once
        using var stepLog = root ? new StepLog(runDirectory) : null;
        if (resumeFrom is null)
        {
            network.Initialize(new Rng(config.Seed));
            log?.Rewrite(history);
            stepLog?.Start(0);
            _observer.Message(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"training {config.Model} ({network.ParameterCount:N0} parameters) on {config.Data}: {train.Count} train, {validation?.Count ?? 0} validation images"));
        }
        else
        {
            var info = resumeFrom.Info;
            WeightsInto(network, resumeFrom);
            Checkpoints.LoadMomentum(resumeFrom, sgd);
            (startEpoch, startBatch, step, elapsedBefore) = (info.Epoch, info.BatchInEpoch, info.Step, info.ElapsedSeconds);
            firstStep = step;
            schedule = info.Schedule!; // Resume refuses a sidecar without them
            accumulator = info.Accumulator!;
            history.AddRange(info.History);
            log?.Rewrite(history);
            stepLog?.Start(step);
            _observer.Message($"resuming {config.Model} from {resumeFrom.SidecarPath}: epoch {startEpoch + 1}, batch {startBatch}, step {step}");
        }

        if (Checkpoints.CheckpointsLinked(runDirectory))
            _observer.Message($"note: {Path.Combine(runDirectory, "checkpoints")} is a link to {new DirectoryInfo(Path.Combine(runDirectory, "checkpoints")).LinkTarget}: " +
                "this run deletes only the checkpoints it writes itself there (the others may be another run's), so those from before this command stay (link the whole run folder instead to keep the whole cleanup)");
        using var pool = new WorkerPool(config.Threads);
        int batch = parallel.Shard.Local, globalBatch = config.BatchSize; // this rank's share of each global batch
        parallel.PlaceDropout(network.Layers.OfType<Dropout>());
        // A run checkpointed before algorithms were recorded computed every convolution directly: it continues so. (A
        // run started on a GPU records the algorithm but no choices: on the CPU it chooses now, as a new run would.)
        if (resumeFrom is { RecordsConvAlgorithm: false } && config.ConvolutionChoices is null) config = config with { ConvAlgorithm = "direct" };
        if (!_device.IsGpu) ConvolutionChoices.Apply(network, config);
        using var engine = DeviceNetworks.ForTraining(_device, network, sgd, pool, batch, parallel.Reducer, config.LabelSmoothing);
        if (!_device.IsGpu && config.ConvolutionChoices is null)
        {
            ConvolutionChoices.Agree(network, _communicator, batch, pool);
            config = config with { ConvolutionChoices = ConvolutionChoices.Describe(network) };
            _observer.Message($"convolutions: {network.ConvolutionAlgorithms}");
        }
        if (_device.IsGpu) _observer.Message($"device: {engine.DeviceName}");
        if (parallel.IsDistributed)
            _observer.Message($"data-parallel over {_communicator.Size} ranks: {batch} of each batch of {globalBatch} per rank, gradients averaged by allreduce");
        // Two batches in turn: the next one is filled while the device still works on the current one.
        Tensor[] xs = [new Tensor([batch, .. spec.InputShape]), new Tensor([batch, .. spec.InputShape])];
        int[][] labelSets = [new int[batch], new int[batch]];
        var order = new int[train.Count];
        var shuffleRng = new Rng(0);
        int batches = train.Count / globalBatch;
        long totalSteps = (long)batches * config.Epochs;
        // A sidecar's checksum covers the weights, not its counters: counters that disagree (an edited or damaged
        // last.json) would resume at the wrong batch, skipping or repeating steps without a word.
        if (resumeFrom is not null && (startBatch < 0 || step != (long)startEpoch * batches + startBatch))
            throw new CheckpointException($"{resumeFrom.SidecarPath}: step {step} does not agree with epoch {startEpoch + 1}, batch {startBatch} at " +
                $"{batches} batches an epoch (that is step {(long)startEpoch * batches + startBatch}): the sidecar was edited or damaged; resume from another checkpoint");
        var clock = Stopwatch.StartNew();
        bool stoppedEarly = false, limitReached = false, stopAgreed = false, interrupted = false;
        parallel.CheckReplicas(network.Parameters, step, engine.CopyWeightsToHost);

        CheckpointInfo Info(int epoch, int batchInEpoch) => new()
        {
            Model = config.Model, Classes = spec.Classes, InputShape = spec.InputShape, BiasInit = config.BiasInit,
            ClassNames = [.. train.ClassNames], NormalizationMean = normalization.Mean, NormalizationStd = normalization.Std, Preprocessing = preprocessing,
            TrainingDataSha256 = dataSha256, Epoch = epoch, BatchInEpoch = batchInEpoch, Step = step, Config = config, Schedule = schedule,
            Accumulator = accumulator, ElapsedSeconds = elapsedBefore + clock.Elapsed.TotalSeconds, History = [.. history],
            WeightsFile = "", WeightsSha256 = "",
        };

        for (int epoch = startEpoch; epoch < config.Epochs && !stoppedEarly; epoch++)
        {
            for (int i = 0; i < order.Length; i++) order[i] = i;
            shuffleRng.Reseed(Rng.Mix(config.Seed, ShuffleStream, (ulong)epoch));
            shuffleRng.Shuffle(order);
            var epochClock = Stopwatch.StartNew();
            double secondsBefore = accumulator.Seconds;
            int firstBatch = epoch == startEpoch ? startBatch : 0, epochIndex = epoch;
            var shardOrder = parallel.ShardOrder(order); // this rank reads only its share of each batch
            train.Announce(shardOrder, batch, firstBatch, augment: true, b => BatchSeed(epochIndex, b));
            bool nextFilled = false;
            for (int b = firstBatch; b < batches; b++)
            {
                int current = b & 1;
                var (x, labels) = (xs[current], labelSets[current]);
                // Ranks see Ctrl+C at different moments: they stop at the batch they agreed on after the last step.
                if (parallel.IsDistributed ? stopAgreed : cancel.IsCancellationRequested)
                {
                    // Interrupted (Ctrl+C): keep the work done so far; --resume continues from exactly here.
                    if (b > firstBatch) Save(Info(epoch, b), Checkpoints.Last);
                    // A new run stopped before its first step has no checkpoint: --resume would fail, so say so.
                    _observer.Message(File.Exists(Path.Combine(runDirectory, Checkpoints.Last + ".json"))
                        ? $"interrupted at epoch {epoch + 1}, batch {b}; saved {Path.Combine(runDirectory, "last.json")}, continue with --resume {IO.ShellQuote.Word(runDirectory)}"
                        : _replaced is not null ? "interrupted before the first step: nothing was trained, and the run --force was to replace stays"
                        : "interrupted before the first step; no checkpoint to resume (nothing was trained): start the run again");
                    stoppedEarly = interrupted = true;
                    break;
                }
                if (!nextFilled) train.Fill(shardOrder.AsSpan(b * batch, batch), x, labels, augment: true, BatchSeed(epoch, b));
                ulong dropoutSeed = Rng.Mix(config.Seed, DropoutStream, (ulong)step);
                engine.BeginStep(x, labels, dropoutSeed, LearningRateSchedule.ForStep(config, schedule, step, totalSteps));
                nextFilled = b + 1 < batches;
                if (nextFilled)
                {
                    train.Fill(shardOrder.AsSpan((b + 1) * batch, batch), xs[1 - current], labelSets[1 - current], augment: true, BatchSeed(epoch, b + 1));
                    engine.Stage(xs[1 - current]);
                }
                float batchLoss = engine.EndStep();
                if (!float.IsFinite(batchLoss))
                    throw new TrainingDivergedException(
                        $"the loss became {batchLoss} at epoch {epoch + 1}, batch {b + 1} (step {step + 1}); stopped without saving. {LastGood()} {Lower()}");
                step++;
                stepLog?.Append(step, epoch + 1, batchLoss, sgd.LearningRate);

                var (localTop1, localTop5) = CountCorrect(engine.Logits, labels);
                var (top1, top5, stop) = parallel.AgreeAfterStep(localTop1, localTop5, cancel.IsCancellationRequested);
                stopAgreed = stop;
                parallel.CheckReplicas(network.Parameters, step, engine.CopyWeightsToHost);
                accumulator = accumulator with
                {
                    LossSum = accumulator.LossSum + batchLoss, Batches = accumulator.Batches + 1, Samples = accumulator.Samples + globalBatch,
                    Top1Correct = accumulator.Top1Correct + top1, Top5Correct = accumulator.Top5Correct + top5,
                    Seconds = secondsBefore + epochClock.Elapsed.TotalSeconds,
                };
                _observer.Step(epoch + 1, config.Epochs, b + 1, batches, accumulator.LossSum / accumulator.Batches, sgd.LearningRate,
                    accumulator.Samples / Math.Max(accumulator.Seconds, 1e-9));

                bool maxed = config.MaxSteps > 0 && step - firstStep >= config.MaxSteps;
                if (b + 1 < batches && (maxed || (config.CheckpointEvery > 0 && step % config.CheckpointEvery == 0)))
                    Save(Info(epoch, b + 1), Checkpoints.Last);
                if (maxed && b + 1 < batches) { stoppedEarly = limitReached = true; break; }
            }
            if (stoppedEarly) break;

            var val = validation is null ? null : parallel.Evaluate(new SingleViewClassifier(engine.Inference, validation), validation.Count);
            // The step's loss was finite, but its update may have overflowed the weights: NaN outputs (every rank sees
            // the summed loss) are not an epoch to save.
            if (val is not null && double.IsNaN(val.MeanLoss) && val.Metrics.Count > 0)
                throw new TrainingDivergedException($"the validation loss became NaN after epoch {epoch + 1} (step {step}): the last updates overflowed " +
                    $"the weights; stopped without saving epoch {epoch + 1}. {LastGood()} {Lower()}");
            var metrics = new EpochMetrics(epoch + 1, step,
                accumulator.LossSum / Math.Max(accumulator.Batches, 1),
                1 - (double)accumulator.Top1Correct / Math.Max(accumulator.Samples, 1),
                ClassificationMetrics.Top5Applies(spec.Classes) ? 1 - (double)accumulator.Top5Correct / Math.Max(accumulator.Samples, 1) : double.NaN,
                val?.Metrics.Top1Error ?? double.NaN, val?.Metrics.Top5Error ?? double.NaN, val?.MeanLoss ?? double.NaN,
                sgd.LearningRate, accumulator.Samples / Math.Max(accumulator.Seconds, 1e-9), elapsedBefore + clock.Elapsed.TotalSeconds);
            var verdict = ExplodingLoss.Judge(history, metrics, spec.Classes, config, resumeFrom is not null);
            if (verdict.Stop is { } reason) throw new TrainingDivergedException($"{reason} {LastGood()}");
            bool best = val is not null && val.Metrics.Top1Error < schedule.BestValidationError;
            schedule = LearningRateSchedule.AfterEpoch(config, schedule, epoch + 1, metrics.ValidationTop1Error);
            history.Add(metrics);
            accumulator = EpochAccumulator.Empty;
            Save(Info(epoch + 1, 0), best || validation is null ? [Checkpoints.Last, Checkpoints.Best] : [Checkpoints.Last]);
            log?.Append(metrics);
            _observer.EpochEnded(metrics);
            if (verdict.Warning is { } warning) _observer.Message(warning);
            if (config.MaxSteps > 0 && step - firstStep >= config.MaxSteps && epoch + 1 < config.Epochs) stoppedEarly = limitReached = true;
        }
        if (limitReached)
            _observer.Message($"stopped after {step - firstStep} step{(step - firstStep == 1 ? "" : "s")} (--max-steps {config.MaxSteps}) at step {step} of {totalSteps}; " +
                $"continue with --resume {IO.ShellQuote.Word(runDirectory)}");

        EvaluationResult? testResult = null;
        if (!stoppedEarly && test is { Count: > 0 })
        {
            testResult = parallel.Evaluate(new SingleViewClassifier(engine.Inference, test), test.Count);
            // Without a validation split no epoch end looked at the outputs: weights that overflow (finite, NaN
            // outputs) were saved, and are said to be so rather than scored.
            if (double.IsNaN(testResult.MeanLoss) && testResult.Metrics.Count > 0)
                throw new TrainingDivergedException("the network's outputs on the test set are NaN: the last updates overflowed the weights, " +
                    $"and the checkpoints saved since the last finite loss hold them (no validation split looked at the outputs: hold one out with --validation N). {Lower()}");
            _observer.Message(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"test: top-1 error {testResult.Metrics.Top1Error:P2} (accuracy {1 - testResult.Metrics.Top1Error:P2}), top-5 error {ClassificationMetrics.Format(testResult.Metrics.Top5Error)} on {test.Count} images (final weights)"));
        }
        if (parallel.CommunicationSummary() is { } summary) _observer.Message(summary);
        return new TrainResult(history, testResult, runDirectory, stoppedEarly) { Interrupted = interrupted };

        ulong BatchSeed(int e, int b) => Rng.Mix(config.Seed, AugmentStream, ((ulong)e << 32) | (uint)b);

        // A device that keeps its own copy of the weights (a GPU) hands them back first.
        void Save(CheckpointInfo info, params string[] names)
        {
            // The loss is checked before each update, so the last update can leave Inf or NaN weights that no loss has
            // seen yet: never saved (and never called a good checkpoint). Every rank holds the same weights, so all stop.
            engine.CopyToHost();
            if (NonFiniteParameter(network) is { } bad)
                throw new TrainingDivergedException($"the weights became non-finite ({bad}) after step {step}; stopped without saving. {LastGood()} {Lower()}");
            if (!root) return; // one rank writes them
            _folderLock?.RequireHeld();
            stepLog?.Flush();
            string? unreadable = Checkpoints.Save(runDirectory, network, sgd, info, savedHere, names);
            DiscardReplaced();
            // eval and show on the run folder read best.json, which named where the data was before it moved.
            if (_dataMovedFrom is { } from)
            {
                if (Checkpoints.RecordDataMoved(runDirectory, from, config.Data) is { } warning) _observer.Message(warning);
                _dataMovedFrom = null;
            }
            // A damaged sidecar stops the cleanup of old checkpoints: say so once, before the disk fills.
            if (!warnedUnreadable && unreadable is not null)
            {
                _observer.Message($"warning: {unreadable} cannot be read, so no old checkpoint is deleted while it cannot (it may name one " +
                    $"of them) and {Path.Combine(runDirectory, "checkpoints")} grows at every save; delete or repair it (best.json is rewritten at the next best epoch)");
                warnedUnreadable = true;
            }
        }
        string LastGood() => File.Exists(Path.Combine(runDirectory, "last.json"))
            ? $"The last good checkpoint is {Path.Combine(runDirectory, "last.json")}." : "No checkpoint was written yet.";
        string Lower()
        {
            // Weight decay alone overflows when lr x decay is far above 1 (each step multiplies the weights by 1 - lr x decay).
            string what = config.LearningRate * config.WeightDecay > 1 ? "a lower --lr or --weight-decay" : "a lower --lr";
            return resumeFrom is null ? $"Try {what}."
                : $"--resume keeps the run's recipe: start a new run (another --out, or --force) with {what}.";
        }
    }

    // The token rank 0's lock wrote in the run folder, as this rank reads it ("" when there is none to read).
    private static string LockToken(string runDirectory)
    {
        try { return File.ReadAllText(Path.Combine(runDirectory, RunFolderLock.OwnerFileName)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return ""; }
    }

    // "conv1.weight[17] = Infinity", or null when every weight is finite.
    private static string? NonFiniteParameter(Network network)
    {
        foreach (var parameter in network.Parameters)
            if (Interop.WeightLoader.FirstNonFinite(parameter.Value.Span) is int i)
                return $"{parameter.Name}[{i}] = {parameter.Value.Span[i]}";
        return null;
    }

    private static void WeightsInto(Network network, LoadedCheckpoint checkpoint)
    {
        var loaded = Checkpoints.LoadNetwork(checkpoint);
        for (int i = 0; i < network.Parameters.Count; i++) network.Parameters[i].Load(loaded.Parameters[i].Value.Span);
    }

    private static (int Top1, int Top5) CountCorrect(Tensor logits, int[] labels)
    {
        int classes = logits.Shape[1], top1 = 0, top5 = 0;
        for (int n = 0; n < labels.Length; n++)
        {
            var row = logits.Sample(n);
            if (TopK.Contains(row, labels[n], 1)) top1++;
            if (TopK.Contains(row, labels[n], Math.Min(5, classes))) top5++;
        }
        return (top1, top5);
    }
}

public sealed class TrainingDivergedException(string message) : Exception(message);
