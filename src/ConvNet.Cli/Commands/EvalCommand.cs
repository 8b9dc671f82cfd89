// `convnet eval --checkpoint A [B ...] --data SPEC [--ten-crop]`: top-1/top-5 error, per-class accuracy and the confusion
// matrix. Several checkpoints form an ensemble (softmax averaged); --ten-crop averages the paper's 10 views (for images
// stored at the model's size, the shifts and mirrors the run's training augmentation implies).
using System.CommandLine;
using ConvNet.Distributed;
using System.Text.Json;
using ConvNet.Data;
using ConvNet.Data.Images;
using ConvNet.Devices;
using ConvNet.Evaluation;
using ConvNet.Threading;
using ConvNet.Training;

namespace ConvNet.Cli.Commands;

public static class EvalCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string[]>("--checkpoint")
        {
            Description = "Run folders (their best checkpoint), checkpoint .json files, imported models' folders or checkpoints' weights .safetensors; several form an ensemble (softmax averaged)",
            Required = true, AllowMultipleArgumentsPerToken = true, Arity = ArgumentArity.OneOrMore,
        };
        var data = new Option<string?>("--data") { Description = "Dataset spec; its test split is evaluated (image data: its val split, else all of it). Default: the data the (first) checkpoint was trained on (image data only if it has a val split); an imported model needs --data" };
        var tenCrop = new Option<bool>("--ten-crop") { Description = "Average the softmax over 4 corner + centre crops and their mirrors (the paper's test). For data stored at the model's size (28x28/32x32): only the views the run's training implies (shifts by its --crop-padding, mirrors if --flip); a run trained with neither is refused. Imported models rescaled by their shorter side: torchvision's Resize + TenCrop" };
        var batch = WholeNumberRange.Of(new Option<int>("--batch-size") { Description = "Images per forward pass", DefaultValueFactory = _ => 256 }, WholeNumberRange.AtLeastOne);
        var threads = WholeNumberRange.Of(new Option<int>("--threads") { Description = "Worker threads (decoding and the forward pass)", DefaultValueFactory = _ => Environment.ProcessorCount }, WholeNumberRange.Threads);
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var device = DeviceOption.Create();
        var precision = PrecisionOption.Create();
        var convAlgorithm = ConvAlgorithmOption.Create();
        var command = new Command("eval", "Evaluate a checkpoint (or an ensemble) on a dataset's test split") { checkpoint, data, tenCrop, batch, threads, json, device, precision, convAlgorithm };
        // Under mpiexec each rank scores its share of the images; rank 0 prints the whole split's metrics. An error on
        // any rank ends the job.
        command.SetAction(parse => DistributedCommand.Run(parse, timeoutAdvice: null, communicator =>
        {
            Action<string> note = communicator.IsRoot ? Console.Error.WriteLine : _ => { }; // the other ranks see the same
            int threadCount = parse.GetValue(threads), batchSize = parse.GetValue(batch);
            string[] given = parse.GetValue(checkpoint)!;
            var loaded = given.Select(c => Checkpoints.Open(c)).ToList();
            // The same weights twice (a run and its best.json, a link) would count one net twice in the average.
            var firstGiven = new Dictionary<string, string>();
            for (int i = 0; i < loaded.Count; i++)
                if (!firstGiven.TryAdd(OutputPaths.Resolved(loaded[i].WeightsPath), given[i]))
                    throw new ArgumentException($"--checkpoint: {firstGiven[OutputPaths.Resolved(loaded[i].WeightsPath)]} and {given[i]} " +
                        $"are the same weights ({loaded[i].WeightsPath}); an ensemble of a net and itself would count it twice");
            // An ensemble averages its members' outputs class by class: their classes must be the same, in the same order.
            if (loaded.FirstOrDefault(l => !l.Info.ClassNames.SequenceEqual(loaded[0].Info.ClassNames)) is { } other)
                throw new ArgumentException($"--checkpoint: {other.SidecarPath} and {loaded[0].SidecarPath} have other classes (or another order); an ensemble averages them class by class");
            // The same weights under other files (a copy of a run, an import of its export) are allowed, but said: in
            // an ensemble of three or more they weigh twice.
            var sameWeights = new Dictionary<string, List<string>>();
            Models.Network LoadMember(LoadedCheckpoint l, int i)
            {
                var network = Checkpoints.LoadNetwork(l);
                if (loaded.Count == 1) return network;
                string digest = network.WeightsDigest();
                var holders = sameWeights.TryGetValue(digest, out var list) ? list : sameWeights[digest] = [];
                if (holders.Count > 0)
                    note($"note: {given[i]} holds the same weights as {holders[0]}; the ensemble counts that net {holders.Count + 1} times");
                holders.Add(given[i]);
                return network;
            }
            bool dataGiven = parse.GetValue(data) is not null;
            // The data the first member that records any trained on (an ensemble may start with an import).
            var trainedOn = loaded.FirstOrDefault(l => l.Info.Config?.Data is not null) ?? loaded[0];
            string spec = parse.GetValue(data) ?? trainedOn.Info.Config?.Data ?? throw InspectionOptions.NoTrainingData(loaded[0]);
            if (!dataGiven) InspectionInputs.RequireRecordedDataFound(trainedOn, spec);
            using var pool = new WorkerPool(threadCount);
            var onDevice = new List<PlannedNetwork>();
            using var release = new Disposables(onDevice);
            var deviceSpec = DeviceOption.Value(parse, device);
            var weightPrecision = PrecisionOption.Value(parse, precision, deviceSpec);
            var algorithm = ConvAlgorithmOption.Value(parse, convAlgorithm, deviceSpec);
            IForwardNetwork Planned(Models.Network network, int batchSize)
            {
                network.SetWeightPrecision(weightPrecision);
                network.UseConvolutionAlgorithm(algorithm);
                var planned = DeviceNetworks.ForInference(deviceSpec, network, pool, batchSize);
                onDevice.Add(planned);
                return planned.Network;
            }
            int skipped = 0;
            string seen = ""; // what every rank must see alike beyond the counts (RankAgreement.RequireSameImages)
            bool multiView = parse.GetValue(tenCrop);
            // Each member's own: an ensemble's members may have trained with other shifts and mirrors (the last one's
            // were reported for all).
            var memberViews = Enumerable.Repeat(multiView ? ("10 views (4 corner + centre crops of the stored square, each mirrored)", 10) : ("1 view (centre crop)", 1), loaded.Count).ToArray();
            IClassifier classifier;
            int count;
            if (ImageDataSpec.IsImageSpec(spec))
            {
                // Decoded once, at the size the members with a mean image were trained on (256, or smaller for small
                // models; they must agree); the others (imports, small-image runs) decode each file themselves. The
                // first member's size was used for all, so an import named first made a 36-pixel run's fail.
                var withMean = loaded.Where(l => l.Info.Preprocessing is not null).ToList();
                if (withMean.FirstOrDefault(l => l.Info.Preprocessing!.Size != withMean[0].Info.Preprocessing!.Size) is { } otherSize)
                    throw new ArgumentException($"--checkpoint: {withMean[0].SidecarPath} was trained on {withMean[0].Info.Preprocessing!.Size}-pixel squares of " +
                        $"its images and {otherSize.SidecarPath} on {otherSize.Info.Preprocessing!.Size}-pixel ones; an ensemble decodes its images once, " +
                        "at one size: evaluate them separately");
                var opened = ImageDataSpec.Open(spec, withMean.FirstOrDefault()?.Info.Preprocessing!.Size ?? SquareImageDecoder.PaperSize);
                if (opened.Validation is null && !dataGiven)
                {
                    (opened.Train as IDisposable)?.Dispose();
                    throw new ArgumentException(InspectionInputs.NoHeldOutImages(spec, trainedOn.SidecarPath));
                }
                if (opened.Validation is not null) (opened.Train as IDisposable)?.Dispose();
                var store = opened.Validation ?? opened.Train;
                // Each rank scans the images itself: under mpiexec all must find the same files and skip the same ones.
                if (communicator.Size > 1) seen = ImageFingerprint.Of([store]);
                if (store is not PackedImageStore)
                {
                    var scan = ImageScan.Run(store, threadCount, statistics: false, note);
                    skipped = scan.Skipped.Count;
                    seen += "\n" + string.Join("\n", scan.Skipped.Select(i => i.Path).Order(StringComparer.Ordinal));
                    store = new SubsetImageStore(store, scan.Good, store.Name);
                }
                store = RelabeledImageStore.ForModel(store, loaded[0].Info.ClassNames, spec, loaded[0].SidecarPath, note);
                count = store.Count;
                var squares = new SquareBatch(store, threadCount);
                var members = loaded.Select((l, i) =>
                {
                    var network = LoadMember(l, i);
                    InspectionInputs.CheckClasses(spec, store.ClassNames.Count, network.Classes, l);
                    var runner = Planned(network, Math.Max(1, Math.Min(batchSize, count)));
                    if (l.Info.Preprocessing is null)
                    {
                        // Imported, or trained on small images: no mean image, so each file is decoded to the model's
                        // input size with the model's own normalisation, as predict and show do.
                        if (!multiView) return new SingleViewClassifier(runner, InspectionInputs.ForStore(l, network, store, spec, threadCount));
                        return FilesTenCrop(runner, l, InspectionInputs.FilesFor(l, store, spec), labelsKnown: true, threadCount, out memberViews[i].Item1, out memberViews[i].Item2);
                    }
                    return (IClassifier)new TenCrop(runner, LoadPreprocessing(l), squares, parse.GetValue(tenCrop));
                }).ToList();
                classifier = members.Count == 1 ? members[0] : new Ensemble(members);
            }
            else
            {
                var test = ClassMatch.ForModel(DatasetSpec.LoadSplit(spec, "test"), loaded[0].Info.ClassNames, spec, loaded[0].SidecarPath, note);
                count = test.Count;
                if (communicator.Size > 1) seen = TrainingData.Checksum(test);
                var members = loaded.Select((l, i) =>
                {
                    var network = LoadMember(l, i);
                    int[] shape = [test.Channels, test.Height, test.Width];
                    if (!shape.SequenceEqual(network.Spec.InputShape))
                        throw new ArgumentException($"{spec} has {string.Join("x", shape)} images, the checkpoint's model takes {string.Join("x", network.Spec.InputShape)}");
                    InspectionInputs.CheckClasses(spec, test.ClassNames.Count, network.Classes, l);
                    if (l.Info.Config is null && l.Info.NormalizationMean.All(m => m == 0) && l.Info.NormalizationStd.All(v => v == 1))
                        note($"note: {l.SidecarPath} records no input normalisation (pixels are fed as 0..1); a model trained with Normalize(mean, std) needs convnet import --mean M --std S");
                    var runner = Planned(network, Math.Max(1, Math.Min(batchSize, test.Count)));
                    var normalization = Normalization(l);
                    if (parse.GetValue(tenCrop))
                    {
                        var (padding, mirror) = TrainedViews(l);
                        memberViews[i] = (DescribeViews(padding, mirror), (padding > 0 ? 5 : 1) * (mirror ? 2 : 1));
                        return new ShiftedTenCrop(runner, test, normalization, ShiftedTenCrop.ViewsFor(padding, mirror));
                    }
                    return (IClassifier)new SingleViewClassifier(runner, new InMemoryBatchSource(test, normalization, AugmentOptions.None));
                }).ToList();
                classifier = members.Count == 1 ? members[0] : new Ensemble(members);
            }

            // No images give no error rate: NaN was printed, with exit code 0.
            if (count == 0)
                throw new ArgumentException($"{spec}: no images to evaluate" + (skipped > 0 ? $" ({skipped:N0} could not be decoded and were skipped)" : ""));
            // Each rank scores its share of what it sees: ranks that see other images would count some twice and others
            // not at all (the only skip notes printed are rank 0's).
            RankAgreement.RequireSameImages(communicator, spec, count, skipped, seen);
            var result = ShardedEvaluation.Run(communicator, classifier, count);
            NonFiniteOutputs.Require(result, string.Join(", ", loaded.Select(l => l.SidecarPath)), $"some of the {count:N0} images of {spec}");
            if (!communicator.IsRoot) return 0;
            bool sameViews = memberViews.All(v => v == memberViews[0]);
            string views = sameViews ? memberViews[0].Item1 : string.Join("; ", loaded.Select((l, i) => $"{l.SidecarPath}: {memberViews[i].Item1}"));
            int? viewCount = sameViews ? memberViews[0].Item2 : null; // the members' own counts are in viewsPerCheckpoint
            var m = result.Metrics;
            var names = loaded[0].Info.ClassNames;
            var perClass = m.PerClassAccuracy();
            string what = (loaded.Count == 1 ? loaded[0].SidecarPath : $"ensemble of {loaded.Count} ({string.Join(", ", loaded.Select(l => l.SidecarPath))})")
                + (multiView ? $", {views}" : "");
            if (parse.GetValue(json))
            {
                Console.WriteLine(CliJson.Serialize(new
                {
                    checkpoint = loaded[0].SidecarPath, checkpoints = loaded.Select(l => l.SidecarPath), tenCrop = multiView, views = viewCount,
                    viewsPerCheckpoint = memberViews.Select(v => v.Item2),
                    data = spec, images = m.Count, skipped,
                    top1Error = m.Top1Error, top5Error = m.Top5Error, loss = result.MeanLoss,
                    // A class without test images has no accuracy: its entry says images 0 and leaves accuracy out.
                    perClassAccuracy = names.Select((n, i) => new { name = n, images = m.Confusion.AsSpan(i * m.Classes, m.Classes).ToArray().Sum(), accuracy = perClass[i] }),
                    confusion = Enumerable.Range(0, m.Classes).Select(r => m.Confusion.AsSpan(r * m.Classes, m.Classes).ToArray()),
                }));
                return 0;
            }
            Console.WriteLine($"{what} on {spec} ({m.Count} test images{(skipped > 0 ? $", {skipped} unreadable skipped" : "")})");
            Console.WriteLine($"top-1 error {m.Top1Error:P2} (accuracy {1 - m.Top1Error:P2}), top-5 error {ClassificationMetrics.Format(m.Top5Error)}, loss {result.MeanLoss:F4}");
            Console.WriteLine("per-class accuracy:");
            for (int c = 0; c < m.Classes; c++) Console.WriteLine($"  {c,3} {Diagnostics.TerminalColumns.PadRight(Diagnostics.PrintableText.Of(names[c]), 20)} {ClassificationMetrics.Format(perClass[c])}{(double.IsNaN(perClass[c]) ? " (no test images)" : "")}");
            if (m.Classes <= 20)
            {
                Console.WriteLine("confusion matrix (rows: true class, columns: predicted):");
                for (int r = 0; r < m.Classes; r++)
                    Console.WriteLine($"  {r,3} " + string.Join(" ", m.Confusion.AsSpan(r * m.Classes, m.Classes).ToArray().Select(v => $"{v,5}")));
            }
            return 0;
        }));
        return command;
    }

    /// <summary>Images stored at the model's size: the views its training augmentation implies, shifts by its crop
    /// padding and mirrors if it trained with them. A run trained with neither is refused: every extra view would be an
    /// input it never saw (on Fashion-MNIST, 13 points of accuracy lost).</summary>
    public static (int Padding, bool Mirror) TrainedViews(LoadedCheckpoint checkpoint)
    {
        var (config, info) = (checkpoint.Info.Config, checkpoint.Info);
        int padding = config?.CropPadding ?? info.TrainedCropPadding ?? 0;
        bool mirror = config?.HorizontalFlip ?? info.TrainedMirror ?? false;
        if (padding == 0 && !mirror)
            throw new ArgumentException($"--ten-crop: {checkpoint.SidecarPath} was {(!KnowsTrainedViews(info) ? "not trained here (no training record)" : "trained without random crops or mirrors (--crop-padding 0, no --flip)")}, " +
                "so shifted and mirrored views are inputs it never saw and would cost accuracy; leave out --ten-crop");
        return (padding, mirror);
    }

    /// <summary>--ten-crop on image files for a model without a mean image, in eval and predict alike: torchvision's
    /// Resize + TenCrop for a model rescaled by its shorter side (ImageNet imports), else the shifts and mirrors its
    /// training used (a run on 28x28/32x32 images, or its export's import) on each file decoded to the model's size.</summary>
    public static IClassifier FilesTenCrop(IForwardNetwork network, LoadedCheckpoint loaded, IReadOnlyList<ImageFile> files, bool labelsKnown, int threads,
        out string views, out int viewCount)
    {
        var normalization = Normalization(loaded);
        bool bgr = loaded.Info.ChannelOrder == "BGR";
        if (loaded.Info.ResizeShorterSide is { } side)
        {
            (views, viewCount) = (RescaledViews(side, network.Spec.InputShape), 10);
            return new RescaledTenCrop(network, files, normalization, side, bgr, labelsKnown, threads);
        }
        // Resized whole, with no record of trained views: nothing to take crops from.
        if (!KnowsTrainedViews(loaded.Info))
            throw new ArgumentException($"--ten-crop: {loaded.SidecarPath} records neither a mean image nor a shorter-side resize (its images are resized whole to its input size), " +
                "so there is no larger image to take crops from, nor a record of the shifts and mirrors it trained with (a file made elsewhere, or exported " +
                "before exports carried them); evaluate without --ten-crop");
        var (padding, mirror) = TrainedViews(loaded);
        (views, viewCount) = (DescribeViews(padding, mirror), (padding > 0 ? 5 : 1) * (mirror ? 2 : 1));
        // Images of the model's size (28x28, 32x32): all of them are held decoded.
        int c = network.Spec.InputShape[0], h = network.Spec.InputShape[1], w = network.Spec.InputShape[2];
        var pixels = new byte[files.Count * c * h * w];
        for (int i = 0; i < files.Count; i++)
            ConvNet.IO.ImageDecoder.LoadAsModelInput(files[i].Path, c, h, w, resizeShorterSide: null, bgr).CopyTo(pixels, i * c * h * w);
        var dataset = new ImageDataset("images", c, h, w, pixels, files.Select(f => f.Label).ToArray(), loaded.Info.ClassNames);
        return new ShiftedTenCrop(network, dataset, normalization, ShiftedTenCrop.ViewsFor(padding, mirror));
    }

    // A run trained here records its augmentation; an import of its export, the views the export carried.
    private static bool KnowsTrainedViews(CheckpointInfo info) =>
        info.Config is not null || info.TrainedCropPadding is not null || info.TrainedMirror is not null;

    public static string RescaledViews(int side, int[] inputShape) =>
        $"10 views (4 corner + centre {inputShape[2]}x{inputShape[1]} crops of the image rescaled to shorter side {side}, each mirrored: torchvision's TenCrop)";

    private static Normalization Normalization(LoadedCheckpoint checkpoint) => new(checkpoint.Info.NormalizationMean, checkpoint.Info.NormalizationStd);

    private static string DescribeViews(int padding, bool mirror) =>
        $"{(padding > 0 ? 5 : 1) * (mirror ? 2 : 1)} views ({(padding > 0 ? $"centre + 4 corner shifts of {padding} px, as trained with --crop-padding {padding}" : "centre")}" +
        $"{(mirror ? ", each mirrored, as trained with --flip" : ", no mirrors (trained without --flip)")})";

    /// <summary>The mean image a checkpoint trained on image data names in its sidecar (checked against its SHA-256).</summary>
    public static PaperPreprocessing LoadPreprocessing(LoadedCheckpoint checkpoint) => Checkpoints.LoadPreprocessing(checkpoint);
}
