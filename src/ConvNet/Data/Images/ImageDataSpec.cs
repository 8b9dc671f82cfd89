// The image-file dataset specs: `folder:DIR`, `list:TRAIN.txt[,VAL.txt]` and `cache:DIR` (made by `convnet prepare`).
// Opens them as stores of 256x256 squares: the training split and, where the data names one, the validation split.
namespace ConvNet.Data.Images;

public sealed record ImageSplits(IImageStore Train, IImageStore? Validation);

public static class ImageDataSpec
{
    public static IReadOnlyList<string> Forms { get; } = ["folder:DIR", "list:TRAIN.txt[,VAL.txt]", "cache:DIR"];

    public static bool IsImageSpec(string spec) =>
        spec.StartsWith("folder:", StringComparison.Ordinal) || spec.StartsWith("list:", StringComparison.Ordinal) || spec.StartsWith("cache:", StringComparison.Ordinal);

    public static ImageSplits Open(string spec)
    {
        int colon = spec.IndexOf(':');
        string kind = colon < 0 ? spec : spec[..colon], argument = colon < 0 ? "" : spec[(colon + 1)..];
        if (argument.Length == 0) throw new DataException($"'{spec}': give a path after '{kind}:'");
        switch (kind)
        {
            case "folder":
            {
                var (train, validation) = ImageFolder.Open(argument);
                return new ImageSplits(new FileImageStore(train), validation is null ? null : new FileImageStore(validation));
            }
            case "list":
            {
                string[] lists = argument.Split(',');
                if (lists.Length > 2) throw new DataException($"'{spec}': list: takes one or two list files (TRAIN.txt[,VAL.txt])");
                var (train, validation) = ImageListFile.Open(lists[0], lists.Length == 2 ? lists[1] : null);
                return new ImageSplits(new FileImageStore(train), validation is null ? null : new FileImageStore(validation));
            }
            case "cache":
                return PackedImageCache.Open(argument);
            default:
                throw new DataException($"'{spec}' is not an image dataset spec ({string.Join(", ", Forms)})");
        }
    }

    /// <summary>The split to evaluate: the validation split if the data has one, else all of it.</summary>
    public static IImageStore OpenForEvaluation(string spec)
    {
        var splits = Open(spec);
        if (splits.Validation is null) return splits.Train;
        (splits.Train as IDisposable)?.Dispose();
        return splits.Validation;
    }

    /// <summary>Holds out <paramref name="validationCount"/> images by a seeded permutation (ValidationSplit's rule:
    /// the last ones of Rng(seed)'s shuffle), each part kept in the original order.</summary>
    public static (IImageStore Train, IImageStore Validation) HoldOut(IImageStore data, int validationCount, ulong seed)
    {
        var (train, validation) = ValidationSplit.Indices(data.Count, validationCount, seed, data.Name);
        return (new SubsetImageStore(data, train, $"{data.Name} (training part)"),
                new SubsetImageStore(data, validation, $"{data.Name} (validation part)"));
    }
}
