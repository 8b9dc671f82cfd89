// Opens image-file data (folder:, list:, cache:) for training with the paper's preprocessing: holds out validation
// when the data has no val split, checks every image once (unreadable ones reported and skipped), fits the mean image
// and colour PCA on the training split, and caches that work in the run folder (preprocessing.json + .safetensors), so
// a resumed run, or a second run in the same folder with the same data, seed and hold-out, does not redo it.
using System.Text.Json;
using ConvNet.Data;
using ConvNet.Data.Images;
using ConvNet.Models;

namespace ConvNet.Training;

public static class ImageTrainingData
{
    public const string PreprocessingFile = "preprocessing.safetensors";
    public const string ScanFile = "preprocessing.json";

    /// <param name="Files">ImageFingerprint of the scanned images (null in scans made before it was recorded)</param>
    /// <param name="SkippedByPrepare">on cache: data, the files the cache's prepare left out as unreadable (Skipped,
    /// what this scan left out, is empty there: a cache holds only readable images); a copy of cache.json's list, so
    /// the run folder says what its data lacks. Only informative: nothing reads it back.</param>
    private sealed record ScanRecord(string Data, ulong Seed, int ValidationCount, int TrainImages, int ValidationImages, List<SkippedImage> Skipped,
        string? Files = null, List<SkippedImage>? SkippedByPrepare = null, int? Resampler = null);

    // How image files are resized to the stored squares (SquareImageDecoder), recorded with each scan because the mean
    // image depends on it: 2 is our Mitchell cubic with exact halving, over a scaled JPEG's true extent (2026-12-01);
    // 3 also picks a JPEG's decode scale by that extent (a 71-pixel side is no longer halved for a 36-pixel square);
    // scans made before record none.
    private const int ResamplerRevision = 3;

    /// <param name="resumed">when resuming: the mean image the checkpoint was trained with, which must still be the cached one</param>
    /// <param name="scansAgain">false on the ranks other than rank 0 of a data-parallel run: they read the scan rank 0
    /// has just checked or made, and never write the run folder</param>
    public static TrainingSplits Open(TrainConfig config, string? runDirectory, Action<string>? report, PreprocessingInfo? resumed = null,
        bool scansAgain = true)
    {
        int crop = ModelRegistry.Spec(config.Model, new ModelOptions(null, config.BiasInit, 3)).InputShape[^1];
        int size = resumed?.Size ?? ImageDataSpec.StoredSizeFor(crop);
        var opened = ImageDataSpec.Open(config.Data, size);
        try
        {
            return Open(config, runDirectory, report, resumed, scansAgain, opened, crop, size);
        }
        catch
        {
            (opened.Train as IDisposable)?.Dispose();
            (opened.Validation as IDisposable)?.Dispose();
            throw;
        }
    }

    private static TrainingSplits Open(TrainConfig config, string? runDirectory, Action<string>? report, PreprocessingInfo? resumed, bool scansAgain,
        ImageSplits opened, int crop, int size)
    {
        // --threads bounds decoding too unless --loader-threads says otherwise.
        int threads = config.LoaderThreads > 0 ? config.LoaderThreads : config.Threads;
        var (train, validation) = (opened.Train, opened.Validation);
        ImageDataSpec.RequireTrainable(config.Data, train);
        if (validation is null && config.ValidationCount > 0)
            (train, validation) = ImageDataSpec.HoldOut(train, TrainingData.HeldOut(config, train.Count, report), config.Seed);
        int heldOut = opened.Validation is null ? validation?.Count ?? 0 : 0;
        if (crop > train.Size)
            throw new ArgumentException($"model {config.Model} takes {crop}x{crop} inputs, larger than the {train.Size}x{train.Size} stored images");
        if (size != SquareImageDecoder.PaperSize)
            report?.Invoke($"model {config.Model} takes {crop}x{crop} inputs: images resized to {size}x{size} (shorter side, centre square), then {crop}x{crop} crops, scaled to unit variance");

        string? scanPath = runDirectory is null ? null : Path.Combine(runDirectory, ScanFile);
        string? statsPath = runDirectory is null ? null : Path.Combine(runDirectory, PreprocessingFile);
        PaperPreprocessing preprocessing;
        ScanRecord? freshScan = null; // written to the run folder once the data is found trainable
        // A resume whose --data says where the images are now may find the scan made under their old path.
        var cached = TryReadScan(scanPath, statsPath, config, train.Count, validation?.Count ?? 0, size, moved: resumed is not null);
        if (!scansAgain) RequireRankZeroScan(cached, config, train, validation, scanPath);
        // The same place, the same counts, but other images (moved between classes, replaced, one added and one removed):
        // a resume would train on them with the old mean image; a new run scans them again.
        if (cached is { Files: { } files } && cached.Data == config.Data && (resumed is not null || scansAgain) && !SameImages(train, validation, files))
        {
            if (resumed is not null)
                throw new DataException($"{config.Data}: its images are not the ones this run was trained on: the counts are the same, but file names, " +
                    "sizes or labels differ (images moved between classes, replaced, added and removed); resuming would train on other data. " +
                    "Restore the images, or start a new run.");
            report?.Invoke($"the images of {config.Data} changed since the scan cached in {scanPath}: checking them again");
            cached = null;
        }
        else if (cached is { Files: null } && cached.Data == config.Data && resumed is not null)
            report?.Invoke(PredatesFingerprints(cached, config.Data));
        // Files decoded now are resized the new way; a cache: holds squares its prepare resized, and is left as it is.
        if (cached is not null && cached.Resampler != ResamplerRevision && DatasetSpec.Kind(config.Data) != "cache")
        {
            if (resumed is not null)
                report?.Invoke($"note: {scanPath}: this run's mean image was computed by a version that resized images differently " +
                    (cached.Resampler is null ? "(before 2026-12-01); " : $"(resampler {cached.Resampler}; this version's is {ResamplerRevision}); ") +
                    "it goes on with that mean image, on images now resized the new way (a small change in its inputs: docs/reliability.md, \"Files from older versions\")");
            else
            {
                report?.Invoke($"the mean image cached in {scanPath} was computed with an older image resizing: computing it again");
                cached = null;
            }
        }
        // A resumed run must keep the mean image it was trained with: never recompute (and overwrite) it.
        // Which file is at fault, named: a lost scan record was reported as a changed mean image.
        if (resumed is not null)
        {
            string? why = !File.Exists(statsPath) ? $"{statsPath}: the mean image this run was trained with is missing"
                : !string.Equals(Checkpoints.Sha256(statsPath!), resumed.Sha256, StringComparison.OrdinalIgnoreCase)
                    ? $"{statsPath}: the mean image no longer matches the one this run was trained with (the file changed)"
                : cached is null ? (File.Exists(scanPath)
                    ? $"{scanPath}: the record of this run's image scan cannot be read or no longer matches {config.Data} (images added or removed)"
                    : $"{scanPath}: the record of this run's image scan is missing")
                : null;
            if (why is not null) throw new DataException($"{why}; resuming would train on different inputs. Start a new run instead.");
        }
        // Moved data: checked against the scan and its skipped images found at their new paths, in memory only (the scan
        // file keeps the paths it was made under; each resume from the new place does this again).
        if (cached is not null && cached.Data != config.Data) cached = Moved(cached, config.Data, train, validation, report);
        if (cached is not null)
        {
            var skipped = cached.Skipped.Select(s => s.Path).ToHashSet(StringComparer.Ordinal);
            int before = train.Count + (validation?.Count ?? 0);
            train = WithoutPaths(train, skipped);
            if (validation is not null) validation = WithoutPaths(validation, skipped);
            preprocessing = PaperPreprocessing.Load(statsPath!);
            report?.Invoke($"using the mean image and colour PCA cached in {statsPath} ({before - train.Count - (validation?.Count ?? 0)} unreadable images left out)");
        }
        else
        {
            report?.Invoke(FormattableString.Invariant($"checking {train.Count + (validation?.Count ?? 0):N0} images and computing the mean image on {threads} thread{(threads == 1 ? "" : "s")}"));
            var trainScan = ImageScan.Run(train, threads, statistics: true, report);
            var validationScan = validation is null ? null : ImageScan.Run(validation, threads, statistics: false, report);
            freshScan = new ScanRecord(config.Data, config.Seed, config.ValidationCount, train.Count, validation?.Count ?? 0,
                [.. trainScan.Skipped, .. validationScan?.Skipped ?? []], Fingerprint(train, validation),
                opened.SkippedByPrepare is { Count: > 0 } byPrepare ? [.. byPrepare] : null, ResamplerRevision);
            train = new SubsetImageStore(train, trainScan.Good, train.Name);
            if (validation is not null) validation = new SubsetImageStore(validation, validationScan!.Good, validation.Name);
            preprocessing = PaperPreprocessing.FromStatistics(trainScan.Statistics!, unitScale: size != SquareImageDecoder.PaperSize);
        }
        // Again now that unreadable images and the hold-out are left out: a class may have none of its own left (a
        // resumed run was trained so; it goes on).
        if (resumed is null)
        {
            int skipped = opened.Train.Count + (opened.Validation?.Count ?? 0) - train.Count - (validation?.Count ?? 0);
            var causes = new List<string>();
            if (skipped > 0) causes.Add($"{skipped} unreadable images skipped");
            if (opened.Validation is null && validation is not null)
                causes.Add(HoldOutTookAClass(train, validation)
                    ? "validation held out, and it took a class's only readable images: a smaller --validation, or another --seed, holds out others"
                    : "validation held out");
            ImageDataSpec.RequireTrainable(config.Data, train, causes.Count == 0 ? null : string.Join(", ", causes));
        }
        // The hold-out is drawn before the scan, so its unreadable images leave fewer to validate on than asked for.
        if (heldOut > 0 && validation!.Count < heldOut)
        {
            if (validation.Count == 0 && resumed is null)
                throw new DataException($"'{config.Data}': all {heldOut} images held out for validation (--validation {config.ValidationCount}, --seed " +
                    $"{config.Seed}) are unreadable, which would leave the run without a validation split; remove the unreadable files, or hold out more");
            report?.Invoke($"note: {heldOut - validation.Count} of the {heldOut} images held out for validation are unreadable: validating on {validation.Count}");
        }
        // Only now: a refusal above deletes the run folder this run made, and the message must not name a list in it.
        if (freshScan is not null)
        {
            if (freshScan.Skipped.Count > 0) report?.Invoke($"{freshScan.Skipped.Count} unreadable images skipped in all (listed in {scanPath ?? "the messages above"})");
            if (freshScan.SkippedByPrepare is { } byPrepare)
                report?.Invoke($"{byPrepare.Count} unreadable images were left out when the cache was prepared (listed in {scanPath ?? "its " + PackedImageCache.InfoFile})");
            if (runDirectory is not null)
            {
                Directory.CreateDirectory(runDirectory);
                preprocessing.Save(statsPath!);
                IO.AtomicFile.WriteAllText(scanPath!, JsonSerializer.Serialize(freshScan, CheckpointInfo.Json), followLinks: false);
            }
        }

        var augment = new PaperAugmentOptions(config.RandomCrop, config.Mirror, config.PcaNoise);
        var info = new PreprocessingInfo(PaperPreprocessing.Kind, PreprocessingFile,
            statsPath is null ? "" : Checkpoints.Sha256(statsPath), preprocessing.Size, crop);
        // The per-channel record in the sidecar approximates the mean image: Apply(c, p) = (p - 255 * mean_c) * InputScale.
        var normalization = new Normalization(preprocessing.ChannelMeans(), [.. Enumerable.Repeat(1 / (255f * preprocessing.InputScale), 3)]);
        return new TrainingSplits(
            new ImageBatchSource(train, preprocessing, crop, augment, threads, config.Prefetch),
            validation is null || validation.Count == 0 ? null : new ImageBatchSource(validation, preprocessing, crop, PaperAugmentOptions.None, threads, 0),
            null, normalization, info);
    }

    /// <param name="moved">accept a scan of the same kind of data under another path (the checksum of the mean image,
    /// and the image counts, still have to match)</param>
    private static ScanRecord? TryReadScan(string? scanPath, string? statsPath, TrainConfig config, int trainCount, int validationCount, int size,
        bool moved)
    {
        if (scanPath is null || !File.Exists(scanPath) || !File.Exists(statsPath)) return null;
        try
        {
            var record = JsonSerializer.Deserialize<ScanRecord>(IO.InputFile.ReadRegularText(scanPath), CheckpointInfo.Json);
            // A mean image of another size (the folder reused for a different model) is recomputed.
            bool sameData = record?.Data == config.Data || moved && DatasetSpec.Kind(record!.Data) == DatasetSpec.Kind(config.Data);
            return record is not null && sameData && record.Seed == config.Seed && record.ValidationCount == config.ValidationCount
                && record.TrainImages == trainCount && record.ValidationImages == validationCount
                && PaperPreprocessing.Load(statsPath!).Size == size ? record : null;
        }
        catch (Exception e) when (e is JsonException or DataException or InvalidDataException)
        {
            return null; // recomputed and rewritten
        }
    }

    // The scan of this run's data made under its old path, for the same images at a new one: the same file names, sizes
    // and labels (no image is decoded), and each image the scan left out found under the new path.
    private static ScanRecord Moved(ScanRecord scan, string newSpec, IImageStore train, IImageStore? validation, Action<string>? report)
    {
        if (scan.Files is null)
            report?.Invoke(PredatesFingerprints(scan, newSpec));
        else if (!SameImages(train, validation, scan.Files))
            throw new DataException($"{newSpec}: its images are not the ones this run was trained on ({scan.Data}): their file names, sizes or labels " +
                "differ; on --resume, --data may only say where the run's data has moved");
        IEnumerable<IImageStore> stores = validation is null ? [train] : [train, validation];
        var paths = stores.SelectMany(s => Enumerable.Range(0, s.Count).Select(s.Describe)).ToList();
        var present = paths.ToHashSet(StringComparer.Ordinal);
        string oldRoot = DataRoot(scan.Data), newRoot = DataRoot(newSpec);
        var byRelative = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string path in paths) byRelative.TryAdd(Path.GetRelativePath(newRoot, path), path);
        // An absolute path in a list file stays where it was; the rest moved with the data's root.
        var skipped = scan.Skipped.Select(image =>
            present.Contains(image.Path) ? image
            : byRelative.TryGetValue(Path.GetRelativePath(oldRoot, image.Path), out var moved) ? image with { Path = moved }
            : throw new DataException($"{newSpec}: {image.Path}, an unreadable image the run's scan left out, is not among the moved data's images; " +
                "start a new run on it")).ToList();
        return scan with { Data = newSpec, Skipped = skipped };
    }

    // Where a spec's relative image paths start: the folder (folder:, cache:), or the training list's folder (list:).
    private static string DataRoot(string spec)
    {
        string argument = spec[(spec.IndexOf(':') + 1)..];
        return DatasetSpec.Kind(spec) == "list" ? Path.GetDirectoryName(ImageDataSpec.ListFiles(argument)[0]) ?? "" : argument;
    }

    // Ranks other than rank 0 never scan: they read the scan rank 0 has just made or checked in the (shared) run folder.
    // Images of their own at the same path (another machine's disk, another mount) must not be trained with rank 0's
    // list of unreadable images and its mean image, nor scanned again and written over rank 0's.
    private static void RequireRankZeroScan(ScanRecord? scan, TrainConfig config, IImageStore train, IImageStore? validation, string? scanPath)
    {
        string here = FormattableString.Invariant($"{train.Count:N0} training{(validation is null ? "" : FormattableString.Invariant($" and {validation.Count:N0} validation"))} images here");
        if (scan is null)
            throw new DataException($"{config.Data}: this rank finds no scan by rank 0 of the images it sees there ({here}) in {scanPath ?? "the run folder"}; " +
                "every rank must see the same files at the same path, and the run folder on a file system they all share");
        if (scan.Data == config.Data && scan.Files is { } files && !SameImages(train, validation, files))
            throw new DataException($"{config.Data}: this rank sees other images there than rank 0 scanned ({here}, as many as rank 0's, but file names, " +
                "sizes or labels differ); every rank must see the same files at the same path");
    }

    private static string Fingerprint(IImageStore train, IImageStore? validation) =>
        ImageFingerprint.Of(validation is null ? [train] : [train, validation]);

    // A scan made on a cache before caches recorded what they packed counted the pack file's size: that identity is
    // accepted too, so an older run still resumes on a cache prepared again from the same images.
    private static bool SameImages(IImageStore train, IImageStore? validation, string scanned)
    {
        IImageStore[] stores = validation is null ? [train] : [train, validation];
        return ImageFingerprint.Of(stores) == scanned
            || ImageFingerprint.RecordsPackedSource(stores) && ImageFingerprint.Of(stores, packsBySize: true) == scanned;
    }

    private static string PredatesFingerprints(ScanRecord scan, string spec) =>
        FormattableString.Invariant($"note: this run's scan of {scan.Data} predates file fingerprints, so only the counts ({scan.TrainImages:N0} + ") +
        FormattableString.Invariant($"{scan.ValidationImages:N0}) and the classes say that {spec} holds the images it was trained on");

    // Does the hold-out hold the readable images of a class that has none left to train on?
    private static bool HoldOutTookAClass(IImageStore train, IImageStore validation)
    {
        var trained = new bool[train.ClassNames.Count];
        for (int i = 0; i < train.Count; i++) trained[train.Label(i)] = true;
        for (int i = 0; i < validation.Count; i++)
            if (!trained[validation.Label(i)]) return true;
        return false;
    }

    private static IImageStore WithoutPaths(IImageStore store, IReadOnlySet<string> paths) =>
        paths.Count == 0 ? store : new SubsetImageStore(store, Enumerable.Range(0, store.Count).Where(i => !paths.Contains(store.Describe(i))).ToArray(), store.Name);
}
