// Turns a dataset spec from the command line ("fashion-mnist", "mnist:DIR", "idx:DIR", "cifar10:DIR") into the
// train and test sets.
namespace ConvNet.Data;

public static class DatasetSpec
{
    public const string FashionMnistDirectory = "/usr/share/datasets/fashion-mnist";
    public const string FashionMnistPackage = "dataset-fashion-mnist";

    /// <summary>The accepted spec forms, for help text and error messages.</summary>
    public static IReadOnlyList<string> Forms { get; } = ["fashion-mnist[:DIR]", "mnist:DIR", "idx:DIR", "cifar10:DIR", .. Images.ImageDataSpec.Forms];

    public static DatasetSplits Load(string spec) => Load(spec, IdxParts.Both);

    /// <summary>One split of an in-memory dataset ("train" or "test"), reading only its files: evaluating on the test
    /// split of a copy that holds only the test files (t10k-*, test_batch.bin) works, as torchvision's train=False does.</summary>
    public static ImageDataset LoadSplit(string spec, string split)
    {
        var splits = Load(spec, split == "test" ? IdxParts.Test : IdxParts.Train);
        return split == "test" ? splits.Test : splits.Train;
    }

    /// <summary>Which of an IDX directory's two parts to read; the other is left empty.</summary>
    public enum IdxParts { Both, Train, Test }

    private static DatasetSplits Load(string spec, IdxParts parts)
    {
        ArgumentNullException.ThrowIfNull(spec);
        int colon = spec.IndexOf(':');
        string kind = colon < 0 ? spec : spec[..colon];
        string argument = colon < 0 ? "" : spec[(colon + 1)..];
        // "fashion-mnist:" with no folder read the package's files and was recorded as another dataset than "fashion-mnist".
        if (kind == "fashion-mnist" && colon >= 0 && argument.Length == 0)
            throw new DataException($"'{spec}': give a folder after 'fashion-mnist:', or plain fashion-mnist for the files of the {FashionMnistPackage} package");
        return (kind, argument.Length > 0) switch
        {
            ("fashion-mnist", false) => LoadFashionMnist(FashionMnistDirectory, parts),
            // A copy elsewhere (the package's files moved, or downloaded): what --resume --data names when a run's
            // fashion-mnist is no longer where the package put it.
            ("fashion-mnist", true) => LoadIdxDirectory(argument, "fashion-mnist", ClassNames.FashionMnist, requiredSize: 28, parts),
            ("mnist", true) => LoadIdxDirectory(argument, "mnist", ClassNames.Digits, requiredSize: 28, parts),
            ("idx", true) => LoadIdxDirectory(argument, "idx", classNames: null, requiredSize: null, parts),
            ("cifar10", true) => Cifar10Reader.ReadDirectory(argument, parts),
            ("folder" or "list" or "cache", true) => throw new DataException(
                $"'{spec}' is image-file data: it is streamed from disk by ImageDataSpec (train and eval open it), not loaded into memory"),
            _ => throw new DataException($"unknown dataset spec '{spec}'; known forms: {string.Join(", ", Forms)}"),
        };
    }

    /// <summary>The spec's kind: "fashion-mnist", "mnist", "idx", "cifar10", "folder", "list" or "cache".</summary>
    public static string Kind(string spec) => spec.IndexOf(':') is var colon and >= 0 ? spec[..colon] : spec;

    /// <summary>The spec with each path in it made absolute (from the working directory), so that a run recording it
    /// finds its data from anywhere; a spec without paths comes back unchanged.</summary>
    public static string WithAbsolutePaths(string spec)
    {
        var paths = PathsOf(spec);
        return paths.Length == 0 ? spec : $"{Kind(spec)}:{string.Join(',', paths.Select(p => p.Length == 0 ? p : Path.GetFullPath(p)))}";
    }

    /// <summary>The first relative path of the spec that does not exist from the working directory, else null.</summary>
    public static string? MissingRelativePath(string spec) =>
        PathsOf(spec).FirstOrDefault(p => !Path.IsPathRooted(p) && !Path.Exists(p));

    /// <summary>The first path of the spec (relative or absolute) that does not exist, else null.</summary>
    public static string? MissingPath(string spec) => PathsOf(spec).FirstOrDefault(p => !Path.Exists(p));

    private static string[] PathsOf(string spec)
    {
        int colon = spec.IndexOf(':');
        if (colon < 0 || colon == spec.Length - 1) return [];
        string argument = spec[(colon + 1)..];
        return Kind(spec) switch
        {
            "fashion-mnist" or "mnist" or "idx" or "cifar10" or "folder" or "cache" => [argument],
            "list" => Images.ImageDataSpec.ListFiles(argument),
            _ => [],
        };
    }

    /// <summary>Fashion-MNIST as installed by the Debian package (gzip IDX files under <paramref name="directory"/>).</summary>
    public static DatasetSplits LoadFashionMnist(string directory, IdxParts parts = IdxParts.Both)
    {
        if (!Directory.Exists(directory) || FindIdxFile(directory, IdxWriter.StandardNames[parts == IdxParts.Test ? 2 : 0]) is null)
            throw new DataException($"fashion-mnist: {directory} not found or incomplete; install it with: apt-get install {FashionMnistPackage}");
        return LoadIdxDirectory(directory, "fashion-mnist", ClassNames.FashionMnist, requiredSize: 28, parts);
    }

    /// <summary>
    /// The four IDX files with standard names (train-images-idx3-ubyte, ..., raw or .gz; the "train-images.idx3-ubyte"
    /// spelling too). Train and test images must have the same size; <paramref name="requiredSize"/> pins it (28 for
    /// MNIST). With <paramref name="classNames"/> null the classes are numbered 0..(highest label in either part).
    /// </summary>
    /// <param name="parts">the part left out comes back empty (no images, the same classes)</param>
    public static DatasetSplits LoadIdxDirectory(string directory, string name, IReadOnlyList<string>? classNames, int? requiredSize,
        IdxParts parts = IdxParts.Both)
    {
        if (!Directory.Exists(directory))
            throw new DataException($"{name}: dataset directory not found: {directory}{IO.FolderPath.WrongKind(directory, wantFolder: true)}");
        bool readTrain = parts != IdxParts.Test, readTest = parts != IdxParts.Train;
        string[] paths = IdxWriter.StandardNames.Select((file, i) => (i < 2 ? readTrain : readTest) ? FindIdxFile(directory, file)
            ?? throw new DataException($"{name}: {Path.Combine(directory, file)} not found (nor with .gz, nor spelled {DottedName(file)})") : "").ToArray();

        // The two image files decompress on two threads: the training file is most of the loading time.
        var testImagesTask = readTest ? Task.Run(() => IdxReader.ReadImages(paths[2])) : null;
        var trainImages = readTrain ? IdxReader.ReadImages(paths[0]) : null;
        var testImages = testImagesTask?.GetAwaiter().GetResult(); // rethrows the reader's DataException as is
        byte[] trainLabels = readTrain ? IdxReader.ReadLabels(paths[1]) : [];
        byte[] testLabels = readTest ? IdxReader.ReadLabels(paths[3]) : [];

        if (trainImages is not null && testImages is not null && (testImages.Height != trainImages.Height || testImages.Width != trainImages.Width))
            throw new DataException($"{name}: {paths[0]} holds {trainImages.Height}x{trainImages.Width} images but {paths[2]} holds {testImages.Height}x{testImages.Width}");
        foreach (var (images, path) in new[] { (trainImages, paths[0]), (testImages, paths[2]) })
            if (images is not null && requiredSize is int size && (images.Height != size || images.Width != size))
                throw new DataException($"{name}: {path} holds {images.Height}x{images.Width} images, expected {size}x{size}");
        if (classNames is null)
        {
            // Numbered up to the highest label of both parts, as a run trained on them numbered them: reading one split,
            // the other's labels (a small file) still count where they are present.
            string? otherLabels = parts == IdxParts.Both ? null : FindIdxFile(directory, IdxWriter.StandardNames[readTrain ? 3 : 1]);
            byte[] other = otherLabels is null ? [] : IdxReader.ReadLabels(otherLabels);
            int highest = Math.Max(Math.Max(trainLabels.DefaultIfEmpty().Max(), testLabels.DefaultIfEmpty().Max()), other.DefaultIfEmpty().Max());
            classNames = ClassNames.Numbered(highest + 1);
        }
        var read = (trainImages ?? testImages)!;
        var train = trainImages is null ? ImageDataset.Empty($"{name} train", 1, read.Height, read.Width, classNames)
            : IdxReader.ToDataset(trainImages, paths[0], trainLabels, paths[1], $"{name} train", classNames);
        var test = testImages is null ? ImageDataset.Empty($"{name} test", 1, read.Height, read.Width, classNames)
            : IdxReader.ToDataset(testImages, paths[2], testLabels, paths[3], $"{name} test", classNames);
        return new DatasetSplits(train, test);
    }

    /// <summary>The raw file if present (faster to read), else the .gz; both spellings of the name; null if none.</summary>
    private static string? FindIdxFile(string directory, string standardName)
    {
        foreach (string file in new[] { standardName, DottedName(standardName) })
        {
            foreach (string candidate in new[] { file, file + ".gz" })
            {
                string path = Path.Combine(directory, candidate);
                if (File.Exists(path)) return path;
            }
        }
        return null;
    }

    // "train-images-idx3-ubyte" -> "train-images.idx3-ubyte", as some copies of MNIST are named.
    private static string DottedName(string standardName)
    {
        int dash = standardName.LastIndexOf("-idx", StringComparison.Ordinal);
        return standardName[..dash] + "." + standardName[(dash + 1)..];
    }
}
