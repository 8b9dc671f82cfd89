// Opens the data a TrainConfig names as batch sources: training split (augmented per the config), validation split
// held out of it (seeded), test split, and the normalisation fitted on the training split (or restored on resume).
using ConvNet.Data;

namespace ConvNet.Training;

public sealed record TrainingSplits(IBatchSource Train, IBatchSource? Validation, IBatchSource? Test, Normalization Normalization);

public static class TrainingData
{
    public static TrainingSplits Open(TrainConfig config, Normalization? restored = null)
    {
        var data = DatasetSpec.Load(config.Data);
        var (train, validation) = config.ValidationCount > 0
            ? ValidationSplit.Split(data.Train, Math.Min(config.ValidationCount, data.Train.Count / 2), config.Seed)
            : (data.Train, null);
        var normalization = restored
            ?? (config.Normalization == "none" ? Normalization.Identity(train.Channels) : Normalization.Compute(train));
        var augment = new AugmentOptions(config.CropPadding, config.HorizontalFlip);
        return new TrainingSplits(
            new InMemoryBatchSource(train, normalization, augment),
            validation is null ? null : new InMemoryBatchSource(validation, normalization, AugmentOptions.None),
            data.Test.Count == 0 ? null : new InMemoryBatchSource(data.Test, normalization, AugmentOptions.None),
            normalization);
    }
}
