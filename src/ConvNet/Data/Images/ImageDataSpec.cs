// The image-file dataset specs: `folder:DIR`, `list:TRAIN.txt[,VAL.txt]` and `cache:DIR` (made by `convnet prepare`).
// Opens them as stores of 256x256 squares: the training split and, where the data names one, the validation split.
namespace ConvNet.Data.Images;

/// <param name="SkippedByPrepare">for a cache: the files `convnet prepare` left out as unreadable (its cache.json's list)</param>
public sealed record ImageSplits(IImageStore Train, IImageStore? Validation, IReadOnlyList<SkippedImage>? SkippedByPrepare = null);

public static class ImageDataSpec
{
    public static IReadOnlyList<string> Forms { get; } = ["folder:DIR", "list:TRAIN.txt[,VAL.txt]", "cache:DIR"];

    public static bool IsImageSpec(string spec) =>
        spec.StartsWith("folder:", StringComparison.Ordinal) || spec.StartsWith("list:", StringComparison.Ordinal) || spec.StartsWith("cache:", StringComparison.Ordinal);

    /// <summary>The size of the stored squares a model with <paramref name="crop"/>-pixel inputs trains on: the paper's
    /// 256 for ImageNet-sized models, else the picture resized so the crop keeps the paper's share of it (227 of 256),
    /// 36 for a 32-pixel model. A small model so sees whole pictures, not a 1/64 patch of a 256-pixel square.</summary>
    public static int StoredSizeFor(int crop) =>
        crop >= 224 ? SquareImageDecoder.PaperSize : Math.Max(crop, (int)Math.Round(crop * (double)SquareImageDecoder.PaperSize / 227));

    /// <param name="size">the stored squares' size (folder: and list: decode to it; a cache must have been made at it)</param>
    public static ImageSplits Open(string spec, int size = SquareImageDecoder.PaperSize)
    {
        if (!IsImageSpec(spec))
            throw new DataException($"'{spec}' is not image data: this takes image files ({string.Join(", ", Forms)})");
        int colon = spec.IndexOf(':');
        string kind = spec[..colon], argument = spec[(colon + 1)..];
        if (argument.Length == 0) throw new DataException($"'{spec}': give a path after '{kind}:'");
        switch (kind)
        {
            case "folder":
            {
                var (train, validation) = ImageFolder.Open(argument);
                return new ImageSplits(new FileImageStore(train, size), validation is null ? null : new FileImageStore(validation, size));
            }
            case "list":
            {
                string[] lists = ListFiles(argument);
                if (lists.Length > 2) throw new DataException($"'{spec}': list: takes one or two list files (TRAIN.txt[,VAL.txt]){NotOnePath(argument)}");
                if (lists.Any(string.IsNullOrWhiteSpace)) throw new DataException($"'{spec}': list: names an empty file (TRAIN.txt[,VAL.txt], no empty name around the comma)");
                if (lists.Length == 2 && lists.FirstOrDefault(l => !File.Exists(l)) is { } missing)
                    throw new DataException($"{missing}: list file not found{IO.FolderPath.WrongKind(missing, wantFolder: false)}{NotOnePath(argument)}");
                var (train, validation) = ImageListFile.Open(lists[0], lists.Length == 2 ? lists[1] : null);
                return new ImageSplits(new FileImageStore(train, size), validation is null ? null : new FileImageStore(validation, size));
            }
            case "cache":
                var cache = PackedImageCache.Open(argument);
                if (cache.Train.Size != size)
                {
                    (cache.Train as IDisposable)?.Dispose();
                    (cache.Validation as IDisposable)?.Dispose();
                    throw new DataException($"'{spec}': the cache holds {cache.Train.Size}x{cache.Train.Size} images, this model needs {size}x{size}; " +
                        "use the folder: or list: data it was made from, which is resized to the model");
                }
                return cache;
            default:
                throw new DataException($"'{spec}' is not an image dataset spec ({string.Join(", ", Forms)})");
        }
    }

    /// <summary>Whether the data names its own validation split (folder: with train/ and val/, list: with a VAL list,
    /// cache: made from such data), so that a run on it holds nothing out and --validation does not apply. Read from the
    /// spec and its folder alone, no image listed; false when the data is not there (any more) to tell.</summary>
    public static bool HasOwnValidation(string spec)
    {
        if (!IsImageSpec(spec)) return false;
        int colon = spec.IndexOf(':');
        string kind = spec[..colon], argument = spec[(colon + 1)..];
        if (argument.Length == 0) return false;
        return kind switch
        {
            "folder" => ImageFolder.HasSplits(argument),
            "list" => ListFiles(argument).Length == 2,
            _ => PackedImageCache.ListsValidation(argument),
        };
    }

    /// <summary>The list files of a `list:` spec's <paramref name="argument"/>: the whole of it when that names a file
    /// (a path may hold a comma), else TRAIN and VAL split at the comma whose two sides both name files, else split at
    /// every comma (for the error that follows).</summary>
    public static string[] ListFiles(string argument)
    {
        if (File.Exists(argument)) return [argument];
        for (int comma = argument.IndexOf(','); comma >= 0; comma = argument.IndexOf(',', comma + 1))
            if (File.Exists(argument[..comma]) && File.Exists(argument[(comma + 1)..])) return [argument[..comma], argument[(comma + 1)..]];
        return argument.Split(',');
    }

    private static string NotOnePath(string argument) =>
        $" ('{argument}' is read as TRAIN.txt,VAL.txt split at a comma, and no file has the whole name)";

    /// <summary>Training needs two classes or more, each with images: one class teaches nothing (a loss of 0 from the
    /// first step), and a class without images is one the model can never learn (a class folder left empty).
    /// Evaluation data may lack classes (a test folder for a 1000-class model), so only training calls this.</summary>
    /// <param name="leftOut">why some images are not in <paramref name="train"/> (unreadable ones skipped, a hold-out),
    /// named when a class has none left</param>
    public static void RequireTrainable(string spec, IImageStore train, string? leftOut = null)
    {
        var names = train.ClassNames;
        if (names.Count < 2)
            throw new DataException($"'{spec}': {(names.Count == 0 ? "no classes" : $"one class ({names[0]})")}; a classifier needs at least two" +
                (names is ["train" or "val"] ? $" (a {names[0]}/ folder without its train/ or val/ partner is read as a class: give both, or point folder: at it)" : ""));
        var counts = new int[names.Count];
        for (int i = 0; i < train.Count; i++) counts[train.Label(i)]++;
        int empty = Array.IndexOf(counts, 0);
        if (empty >= 0)
            throw new DataException($"'{spec}': class {names[empty]} has no training images " +
                (leftOut is not null ? $"left ({leftOut})" : DatasetSpec.Kind(spec) == "list" ? "(no line of the list has its label)" : "(an empty class folder?)") +
                (DatasetSpec.Kind(spec) == "list" ? $"; every label from 0 to {names.Count - 1} needs images" : "; every class needs images, or leave its folder out"));
    }

    /// <summary>The split to evaluate: the validation split if the data has one, else all of it.</summary>
    public static IImageStore OpenForEvaluation(string spec, int size = SquareImageDecoder.PaperSize)
    {
        var splits = Open(spec, size);
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
