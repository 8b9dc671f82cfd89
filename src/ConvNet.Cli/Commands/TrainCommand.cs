// `convnet train`: trains a model on a dataset, writing checkpoints and metrics to a run folder; --resume continues one.
using System.CommandLine;
using ConvNet.Distributed;
using ConvNet.Models;
using ConvNet.Training;

namespace ConvNet.Cli.Commands;

public static class TrainCommand
{
    public const int DivergedExitCode = 3;
    public const int InterruptedExitCode = 130;
    /// <summary>Stopped by SIGTERM, after saving: 128 + 15, what the shell reports for a process SIGTERM ends.</summary>
    public const int TerminatedExitCode = 143;
    /// <summary>Stopped by SIGHUP (the ssh session or terminal went away), after saving: 128 + 1.</summary>
    public const int HangUpExitCode = 129;

    public static Command Create()
    {
        var d = new TrainConfig();
        var model = new Option<string>("--model") { Description = $"Model: {string.Join(", ", ModelRegistry.Names)}", DefaultValueFactory = _ => d.Model };
        OptionChoices.Restrict(model, [.. ModelRegistry.Names]); // one line naming --model, with "did you mean" for AlexNet
        var data = new Option<string>("--data") { Description = "Dataset: fashion-mnist, mnist:DIR, idx:DIR, cifar10:DIR, folder:DIR, list:TRAIN.txt[,VAL.txt], cache:DIR", DefaultValueFactory = _ => d.Data };
        var small = TrainConfig.DefaultsFor(AlexNetSmall.Name);
        var epochs = WholeNumberRange.Of(new Option<int>("--epochs") { Description = $"Epochs to train (default {d.Epochs}; {small.Model}: {small.Epochs})" }, WholeNumberRange.AtLeastOne);
        var batch = WholeNumberRange.Of(new Option<int>("--batch-size") { Description = "Images per SGD step", DefaultValueFactory = _ => d.BatchSize }, WholeNumberRange.AtLeastOne);
        var lr = new Option<float>("--lr") { Description = $"Base learning rate (default {d.LearningRate}; {small.Model}: {small.LearningRate})" };
        var momentum = new Option<float>("--momentum") { Description = "SGD momentum, in [0, 1) (the paper's 0.9; the update: v = momentum v - decay lr w - lr grad)", DefaultValueFactory = _ => d.Momentum };
        var decay = new Option<float>("--weight-decay") { Description = "L2 decay of the weights, not the biases (the paper's update: v = momentum v - decay lr w - lr grad)", DefaultValueFactory = _ => d.WeightDecay };
        var schedule = new Option<string?>("--schedule") { Description = $"plateau (÷10 when validation error stops improving), step, cosine (default {d.Schedule}; {small.Model}: {small.Schedule})" };
        var patience = WholeNumberRange.Of(new Option<int>("--patience") { Description = "plateau: epochs in a row without improvement (a validation error below the best by more than 1e-4 of it, PyTorch's default threshold) that trigger a reduction (PyTorch's ReduceLROnPlateau patience p is --patience p+1)", DefaultValueFactory = _ => d.Patience }, WholeNumberRange.AtLeastOne);
        var stepSize = WholeNumberRange.Of(new Option<int>("--step-size") { Description = "step: epochs between reductions", DefaultValueFactory = _ => d.StepSize }, WholeNumberRange.AtLeastOne);
        var gamma = new Option<float>("--gamma") { Description = "plateau (below 1), step (positive): factor of each reduction", DefaultValueFactory = _ => d.Gamma };
        var seed = new Option<ulong>("--seed") { Description = "Random seed of the weights, the shuffles, dropout and augmentation (the same seed and --threads train bit-identically)", DefaultValueFactory = _ => d.Seed };
        var threads = WholeNumberRange.Of(new Option<int>("--threads") { Description = "Worker threads", DefaultValueFactory = _ => Environment.ProcessorCount }, WholeNumberRange.Threads);
        var validation = WholeNumberRange.Of(new Option<int>("--validation") { Description = "Training images held out for validation when the data has no validation split (at most half of them)", DefaultValueFactory = _ => d.ValidationCount }, WholeNumberRange.NotNegative);
        var crop = WholeNumberRange.Of(new Option<int>("--crop-padding") { Description = "Augmentation: random crops after zero-padding by this many pixels (0: off)", DefaultValueFactory = _ => 0 }, WholeNumberRange.NotNegative);
        var flip = new Option<bool>("--flip") { Description = "Augmentation: random horizontal mirrors" };
        var erase = new Option<float>("--random-erase") { Description = $"Augmentation: probability of setting one random rectangle (2-33 % of the image, aspect 0.3-3.3) to 0 after normalisation (the channel mean), as torchvision's RandomErasing (default {d.RandomErase}{(small.RandomErase != d.RandomErase ? $"; {small.Model}: {small.RandomErase}" : "")})" };
        var smoothing = new Option<float>("--label-smoothing") { Description = $"Loss target (1 - e) x one-hot + e / classes, as PyTorch's label_smoothing; the training loss printed includes it, the validation loss does not (default {d.LabelSmoothing}{(small.LabelSmoothing != d.LabelSmoothing ? $"; {small.Model}: {small.LabelSmoothing}" : "")})" };
        var every = WholeNumberRange.Of(new Option<int>("--checkpoint-every") { Description = "Also checkpoint every N steps (0: at epoch ends only)", DefaultValueFactory = _ => 0 }, WholeNumberRange.NotNegative);
        var biasInit = new Option<float>("--bias-init") { Description = "alexnet only: bias of conv2/4/5, fc6, fc7 (paper 1, Caffe 0.1); the other models set their own biases", DefaultValueFactory = _ => 1f };
        var normalization = new Option<string>("--normalization") { Description = "In-memory data: channel (mean/std per channel) or none; image data always subtracts the run's mean image", DefaultValueFactory = _ => d.Normalization };
        var maxSteps = WholeNumberRange.Of(new Option<long>("--max-steps") { Description = "Stop after this many steps of this invocation (0: no limit); not saved with the run", DefaultValueFactory = _ => 0 }, WholeNumberRange.NotNegative);
        var noRandomCrop = new Option<bool>("--no-random-crop") { Description = "Image data: train on centre crops instead of random crops" };
        var noMirror = new Option<bool>("--no-mirror") { Description = "Image data: no random horizontal mirrors" };
        var noPca = new Option<bool>("--no-pca") { Description = "Image data: no PCA colour noise" };
        var pcaNoise = new Option<float>("--pca-noise") { Description = "Image data: std of the PCA colour noise coefficients, 0..1 (paper 0.1)", DefaultValueFactory = _ => d.PcaNoise };
        var loaderThreads = WholeNumberRange.Of(new Option<int>("--loader-threads") { Description = "Image data: decoding threads (0: as many as --threads)", DefaultValueFactory = _ => d.LoaderThreads }, new(0, Threading.WorkerPool.MaxWorkers));
        var prefetch = WholeNumberRange.Of(new Option<int>("--prefetch") { Description = "Image data: batches prepared ahead of the training step", DefaultValueFactory = _ => d.Prefetch }, new(0, TrainConfig.MaxPrefetch));
        var output = new Option<string>("--out") { Description = "Run folder for checkpoints and metrics", DefaultValueFactory = _ => "runs/latest" };
        var resume = new Option<string?>("--resume") { Description = "Continue the run in this folder from its last checkpoint with its saved recipe (only --threads, --max-steps, --epochs and --device can change, and --data can say where the run's dataset has moved; a larger --epochs extends a finished run)" };
        var json = new Option<bool>("--json") { Description = "One JSON object per epoch on stdout, then one with the run folder (runDirectory) and, when the data has a test split, the test result" };
        var force = new Option<bool>("--force") { Description = "Replace a run already in the --out folder" };
        var device = DeviceOption.Create();
        var convAlgorithm = new Option<string>("--conv-algorithm")
        {
            Description = "CPU convolutions: auto (each layer times direct and Winograd once and keeps the faster; the choice is saved with the run and reused on --resume), direct or winograd",
            DefaultValueFactory = _ => d.ConvAlgorithm,
        };
        OptionChoices.Restrict(convAlgorithm, "auto", "direct", "winograd");
        OptionChoices.Restrict(schedule, [.. TrainConfig.Schedules]);
        OptionChoices.Restrict(normalization, "channel", "none");

        var command = new Command("train", "Train a model; checkpoints and metrics go to the run folder")
        {
            model, data, epochs, batch, lr, momentum, decay, schedule, patience, stepSize, gamma, seed, threads, validation,
            crop, flip, erase, smoothing, every, biasInit, normalization, maxSteps, noRandomCrop, noMirror, noPca, pcaNoise, loaderThreads, prefetch,
            output, resume, json, force, device, convAlgorithm,
        };
        // Under mpiexec each rank is one process of a data-parallel run (an error on any rank ends the job); without it
        // MPI is never loaded.
        command.SetAction(parse => DistributedCommand.Run(parse, "restart the run with --resume from its last checkpoint", communicator => Train(parse, communicator)));
        return command;

        // A new run's options that its data or schedule never reads (TrainConfig.NotApplied): refused when the command line
        // gives them, rather than run without a word, recorded with the run and shown by report as if they had applied.
        // Options left out are never refused (their defaults are recorded, and report leaves them out); --resume takes the
        // run's recorded recipe and never comes here.
        void RefuseWhatDoesNotApply(ParseResult parse, TrainConfig config)
        {
            var notApplied = config.NotApplied();
            string image = $" applies to image data (folder:, list:, cache:), not to in-memory data ({config.Data}), which";
            string scheduleNamed = $": --schedule {config.Schedule}{(GivenOption.Was(parse, schedule) ? "" : $" ({config.Model}'s default)")} " + config.Schedule switch
            {
                "cosine" => "anneals the rate to 0 over the run, with no reductions",
                "step" => "multiplies the rate by --gamma every --step-size epochs, whatever the validation error",
                _ => "multiplies the rate by --gamma when the validation error stops improving for --patience epochs",
            };
            (Option Option, string Setting, bool Changed, string Why)[] rules =
            [
                (noRandomCrop, nameof(TrainConfig.RandomCrop), true, $"{image} takes random crops only with --crop-padding N"),
                (noMirror, nameof(TrainConfig.Mirror), true, $"{image} is mirrored only with --flip"),
                (noPca, nameof(TrainConfig.PcaNoise), true, $"{image} gets no PCA colour noise (its augmentation is --crop-padding, --flip and --random-erase)"),
                (pcaNoise, nameof(TrainConfig.PcaNoise), true, $"{image} gets no PCA colour noise (its augmentation is --crop-padding, --flip and --random-erase)"),
                (loaderThreads, nameof(TrainConfig.LoaderThreads), true, $"{image} is batched on the training threads (--threads)"),
                (prefetch, nameof(TrainConfig.Prefetch), true, $"{image} is batched on the training threads (--threads)"),
                // "channel", the default, is what every run records; image data never reads it.
                (normalization, nameof(TrainConfig.Normalization), config.Normalization != d.Normalization,
                    $" {config.Normalization}: image data ({config.Data}) always subtracts the run's mean image (the paper's preprocessing, computed on its training split); " +
                    "--normalization applies to in-memory datasets (fashion-mnist, cifar10:, idx:, ...)"),
                (validation, nameof(TrainConfig.ValidationCount), true,
                    $": {config.Data} has its own validation split (a val/ folder beside train/, a VAL list, or a cache made from one), so no training images are held out"),
                (gamma, nameof(TrainConfig.Gamma), true, $"{scheduleNamed}; --gamma is the factor of the step and plateau schedules' reductions"),
                (patience, nameof(TrainConfig.Patience), true, $"{scheduleNamed}; --patience is for --schedule plateau"),
                (stepSize, nameof(TrainConfig.StepSize), true, $"{scheduleNamed}; --step-size is for --schedule step"),
            ];
            foreach (var (option, setting, changed, why) in rules)
                if (changed && GivenOption.Was(parse, option) && notApplied.Contains(setting))
                    throw new ArgumentException($"{option.Name}{why}; leave it out");
        }

        int Train(ParseResult parse, ICommunicator communicator)
        {
            var observer = new ConsoleObserver(parse.GetValue(json));
            using var cancel = new CancellationTokenSource();
            // Ctrl+C, SIGTERM from a scheduler or `kill`, or SIGHUP when the ssh session drops: let the trainer save
            // where it is and stop cleanly; a second signal ends the process.
            int? signalExitCode = null;
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                if (cancel.IsCancellationRequested) return;
                e.Cancel = true;
                cancel.Cancel();
            };
            Console.CancelKeyPress += onCancel;
            Action<System.Runtime.InteropServices.PosixSignalContext> onSignal = context =>
            {
                if (cancel.IsCancellationRequested) return;
                context.Cancel = true;
                signalExitCode = context.Signal == System.Runtime.InteropServices.PosixSignal.SIGHUP ? HangUpExitCode : TerminatedExitCode;
                cancel.Cancel();
            };
            using var onTerminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, onSignal);
            using var onHangUp = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGHUP, onSignal);
            try
            {
                TrainResult result;
                if (parse.GetValue(resume) is { } runDirectory)
                {
                    // The recipe comes from the checkpoint: say so for every other option given, rather than ignore it silently.
                    Option[] mayChange = [threads, maxSteps, epochs, resume, json, device, data];
                    var ignored = command.Options.Where(o => !mayChange.Contains(o) && GivenOption.Was(parse, o)).Select(o => o.Name).ToList();
                    if (ignored.Count > 0 && communicator.IsRoot)
                        observer.Message($"note: resuming with the run's saved configuration; ignoring {string.Join(", ", ignored)} (only --threads, --max-steps, --epochs and --device can change, and --data can say where the run's dataset has moved)");
                    result = Trainer.Resume(runDirectory, observer, cancel.Token, GivenOption.Value(parse, threads), GivenOption.Value(parse, maxSteps), GivenOption.Value(parse, epochs),
                        DeviceOption.Value(parse, device), communicator, GivenOption.Text(parse, data));
                }
                else
                {
                    // Epochs, rate and schedule default to the model's recipe (TrainConfig.DefaultsFor).
                    var recipe = TrainConfig.DefaultsFor(parse.GetValue(model)!);
                    // The other models set their own biases (torchvision's default, or zero with He-normal weights): an
                    // option they ignore would still be recorded with the run and shown by report.
                    if (GivenOption.Was(parse, biasInit) && parse.GetValue(biasInit) != 1f && parse.GetValue(model) != AlexNetPaper.Name
                        && ModelRegistry.Names.Contains(parse.GetValue(model)))
                        throw new ArgumentException($"--bias-init sets the paper alexnet's conv2/4/5, fc6 and fc7 biases; {parse.GetValue(model)} initialises its own biases, so leave it out");
                    // --no-pca won, and the run recorded no noise without a word.
                    if (parse.GetValue(noPca) && GivenOption.Was(parse, pcaNoise) && parse.GetValue(pcaNoise) != 0f)
                        throw new ArgumentException($"--no-pca and --pca-noise {parse.GetValue(pcaNoise)} contradict each other: pass one");
                    var config = new TrainConfig
                    {
                        Model = parse.GetValue(model)!, Data = parse.GetValue(data)!,
                        Epochs = GivenOption.Value(parse, epochs) ?? recipe.Epochs,
                        BatchSize = parse.GetValue(batch), Momentum = parse.GetValue(momentum),
                        LearningRate = GivenOption.Value(parse, lr) ?? recipe.LearningRate,
                        WeightDecay = parse.GetValue(decay), Schedule = parse.GetValue(schedule) ?? recipe.Schedule, Patience = parse.GetValue(patience),
                        StepSize = parse.GetValue(stepSize), Gamma = parse.GetValue(gamma), Seed = parse.GetValue(seed),
                        Threads = parse.GetValue(threads), ValidationCount = parse.GetValue(validation),
                        CropPadding = parse.GetValue(crop), HorizontalFlip = parse.GetValue(flip),
                        RandomErase = GivenOption.Value(parse, erase) ?? recipe.RandomErase,
                        LabelSmoothing = GivenOption.Value(parse, smoothing) ?? recipe.LabelSmoothing, CheckpointEvery = parse.GetValue(every),
                        BiasInit = parse.GetValue(biasInit), Normalization = parse.GetValue(normalization)!, MaxSteps = parse.GetValue(maxSteps),
                        RandomCrop = !parse.GetValue(noRandomCrop), Mirror = !parse.GetValue(noMirror),
                        PcaNoise = parse.GetValue(noPca) ? 0f : parse.GetValue(pcaNoise),
                        LoaderThreads = parse.GetValue(loaderThreads), Prefetch = parse.GetValue(prefetch),
                        ConvAlgorithm = parse.GetValue(convAlgorithm)!,
                    };
                    RefuseWhatDoesNotApply(parse, config);
                    OutputPaths.RequireOutsideImageFolder(parse.GetValue(output)!, "--out", config.Data);
                    var deviceSpec = DeviceOption.Value(parse, device);
                    // Only a new run: a resumed one keeps what it recorded, whatever device it resumes on.
                    ConvAlgorithmOption.RequireFor(GivenOption.Text(parse, convAlgorithm), deviceSpec, gpuChoices: false);
                    result = new Trainer(config, parse.GetValue(output)!, observer, deviceSpec, communicator).Run(cancel.Token, overwrite: parse.GetValue(force));
                }
                // The last line a script reads: where the run is, and its test result when the data has a test split
                // (image folders have none: their runs printed no last line at all).
                if (parse.GetValue(json) && communicator.IsRoot)
                    Console.WriteLine(CliJson.Serialize(new
                    {
                        test = result.Test is { } test ? new { top1Error = test.Metrics.Top1Error, top5Error = test.Metrics.Top5Error, images = test.Metrics.Count } : null,
                        runDirectory = result.RunDirectory,
                    }, indented: false));
                if (result.Interrupted)
                {
                    // The ranks agree to stop at one step, not on why: each says which signal it got, if any, so that all
                    // exit with that signal's code (a SIGHUP to one rank gave 129 there and 130 on the others, which
                    // MPICH's launcher ORs into 131).
                    long signalled = communicator.Size > 1 ? communicator.MinMax(signalExitCode ?? 0).Max : signalExitCode ?? 0;
                    return signalled > 0 ? (int)signalled : InterruptedExitCode;
                }
                // A signal during the last validation or the test pass came after the training had ended: the run is
                // complete, and a scheduler told 130/143 would take it for stopped.
                if (cancel.IsCancellationRequested && communicator.IsRoot)
                    observer.Message(result.StoppedEarly
                        ? "note: the signal came after --max-steps had stopped the run (its checkpoint is saved)"
                        : "note: the signal came after the training had ended (during the last evaluation); the run is complete");
                return 0;
            }
            catch (OperationCanceledException) when (communicator.Size > 1 && cancel.IsCancellationRequested)
            {
                // A signal while the ranks waited for each other before training (rank 0 scanning the data): that wait
                // has no time limit, and rank 0 may be frozen, so this rank ends the job now, with the signal's code.
                DistributedCommand.EndJob(communicator, signalExitCode ?? InterruptedExitCode,
                    [$"convnet: interrupted (rank {communicator.Rank} of {communicator.Size}) while the ranks waited for each other before training; ending the job (nothing was trained)"]);
                throw; // not reached: EndJob ends the process
            }
            catch (TrainingDivergedException e)
            {
                // Every rank sees the same global loss and weights, so every rank stops alike: rank 0 says so.
                if (communicator.IsRoot) Console.Error.WriteLine($"convnet: training stopped: {e.Message}");
                return DivergedExitCode;
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
        }
    }
}
