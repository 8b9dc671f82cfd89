// Opens the data a TrainConfig names as batch sources: training split (augmented per the config), validation split
// held out of it (seeded), test split, and the normalisation fitted on the training split (or restored on resume).
// Image-file specs (folder:, list:, cache:) go to ImageTrainingData (the paper's mean image, crops and colour noise).
using ConvNet.Data;
using ConvNet.Data.Images;

namespace ConvNet.Training;

/// <param name="TrainingDataSha256">in-memory data: the training split's checksum (CheckpointInfo.TrainingDataSha256)</param>
/// <param name="TestDataSha256">in-memory data with a test split: its checksum (data-parallel ranks compare it)</param>
public sealed record TrainingSplits(IBatchSource Train, IBatchSource? Validation, IBatchSource? Test, Normalization Normalization,
    PreprocessingInfo? Preprocessing = null, string? TrainingDataSha256 = null, string? TestDataSha256 = null) : IDisposable
{
    /// <summary>Stops background loaders and unmaps caches (image data); nothing to do for in-memory data.</summary>
    public void Dispose()
    {
        (Train as IDisposable)?.Dispose();
        (Validation as IDisposable)?.Dispose();
        (Test as IDisposable)?.Dispose();
    }
}

public static class TrainingData
{
    /// <param name="runDirectory">image data: where the mean image and scan results are cached (null: not cached)</param>
    /// <param name="report">image data: skipped files and progress</param>
    /// <param name="resumedPreprocessing">image data, when resuming: the mean image the checkpoint was trained with</param>
    /// <param name="scansAgain">image data: false on data-parallel ranks other than rank 0 (ImageTrainingData.Open)</param>
    public static TrainingSplits Open(TrainConfig config, Normalization? restored = null, string? runDirectory = null, Action<string>? report = null,
        PreprocessingInfo? resumedPreprocessing = null, bool scansAgain = true)
    {
        if (ImageDataSpec.IsImageSpec(config.Data)) return ImageTrainingData.Open(config, runDirectory, report, resumedPreprocessing, scansAgain);
        var data = DatasetSpec.Load(config.Data);
        if (restored is null) RequireEveryClass(config.Data, data.Train, data.Test);
        // A shift as large as the image leaves nothing of it in most crops (1,000,000 trained on blank crops).
        if (PreprocessingRules.CropPadding(config.CropPadding, data.Train.Height, data.Train.Width) is not null)
            throw new ArgumentException($"--crop-padding {config.CropPadding} must be smaller than the {data.Train.Height}x{data.Train.Width} images of {config.Data}");
        var (train, validation) = config.ValidationCount > 0
            ? ValidationSplit.Split(data.Train, HeldOut(config, data.Train.Count, report), config.Seed)
            : (data.Train, null);
        var normalization = restored
            ?? (config.Normalization == "none" ? Normalization.Identity(train.Channels) : Normalization.Compute(train));
        var augment = new AugmentOptions(config.CropPadding, config.HorizontalFlip, config.RandomErase);
        return new TrainingSplits(
            new InMemoryBatchSource(train, normalization, augment),
            validation is null ? null : new InMemoryBatchSource(validation, normalization, AugmentOptions.None),
            data.Test.Count == 0 ? null : new InMemoryBatchSource(data.Test, normalization, AugmentOptions.None),
            normalization, TrainingDataSha256: Checksum(data.Train), TestDataSha256: data.Test.Count == 0 ? null : Checksum(data.Test));
    }

    /// <summary>Refuses training data of fewer than two classes, or with a class that has no images: a classifier would learn to never predict it
    /// (idx labels number the classes up to the largest of either split, so one wrong label makes hundreds of empty
    /// classes).</summary>
    public static void RequireEveryClass(string spec, ImageDataset train, ImageDataset? test = null)
    {
        var counts = train.ClassCounts();
        // One class trained to a loss of 0 and "100 % accuracy" without a word (image folders refuse it alike).
        if (counts.Length < 2)
            throw new DataException($"'{spec}': {(counts.Length == 0 ? "no classes" : $"one class ({train.ClassNames[0]}): every training label is {train.ClassNames[0]}")}; a classifier needs at least two");
        var empty = Enumerable.Range(0, counts.Length).Where(c => counts[c] == 0).Select(c => train.ClassNames[c]).ToList();
        if (empty.Count == 0) return;
        string why = $"'{spec}': {empty.Count} of its {counts.Length} classes {(empty.Count == 1 ? "has" : "have")} no training images ({ClassNames.Preview(empty, 5)})";
        if (!train.ClassNames.SequenceEqual(ClassNames.Numbered(counts.Length)))
            throw new DataException($"{why}; every class needs training images");
        int largest = counts.Length - 1, inTrain = train.Labels.IndexOf(largest);
        string where = inTrain >= 0 ? $"first at training image {inTrain}"
            : test is not null && test.Labels.IndexOf(largest) is var inTest and >= 0 ? $"only in the test split, first at test image {inTest}"
            : "in no image";
        throw new DataException($"{why}: its classes are numbered 0..{largest} by its largest label, {largest}, {where}; is that label wrong?");
    }

    /// <summary>SHA-256 of a split's shape, pixels and labels (before any hold-out, which the seed makes).</summary>
    public static string Checksum(ImageDataset data)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes<int>([data.Count, data.Channels, data.Height, data.Width]));
        hash.AppendData(data.Pixels);
        hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.Labels));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>How many training images --validation holds out: at most half of them, and the cap is said.</summary>
    public static int HeldOut(TrainConfig config, int trainImages, Action<string>? report)
    {
        int held = Math.Min(config.ValidationCount, trainImages / 2);
        if (held < config.ValidationCount)
            report?.Invoke($"note: --validation {config.ValidationCount} is more than half of the {trainImages} training images; holding out {held}");
        return held;
    }
}
