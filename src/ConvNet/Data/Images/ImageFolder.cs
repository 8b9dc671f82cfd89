// `folder:DIR`: one sub-folder per class (class names = folder names, sorted by Unicode code point, as ILSVRC's synset
// folders and torchvision's ImageFolder sort them, so a class has the same index in both), every non-hidden file below
// it an image. If DIR has both train/ and val/ sub-folders, they are the two splits
// and must have the same classes.
namespace ConvNet.Data.Images;

public static class ImageFolder
{
    /// <summary>The training files and, when DIR has train/ and val/, the validation files.</summary>
    public static (ImageFileSet Train, ImageFileSet? Validation) Open(string directory)
    {
        if (!Directory.Exists(directory)) throw new DataException($"folder:{directory}: directory not found");
        if (!HasSplits(directory)) return (Read(directory, $"{directory}"), null);
        string train = Path.Combine(directory, "train"), val = Path.Combine(directory, "val");

        var trainSet = Read(train, $"{directory} train");
        var valSet = Read(val, $"{directory} val", trainSet.ClassNames);
        return (trainSet, valSet);
    }

    /// <summary>Whether DIR holds train/ and val/, its two splits (else its sub-folders are the classes).</summary>
    public static bool HasSplits(string directory) =>
        Directory.Exists(Path.Combine(directory, "train")) && Directory.Exists(Path.Combine(directory, "val"));

    /// <summary>One class-per-sub-folder tree. With <paramref name="classNames"/> given, the sub-folders must be exactly those.</summary>
    public static ImageFileSet Read(string directory, string name, IReadOnlyList<string>? classNames = null)
    {
        if (!Directory.Exists(directory)) throw new DataException($"{directory}: directory not found");
        string[] classes = Directory.GetDirectories(directory).Select(Path.GetFileName).Where(n => !n!.StartsWith('.')).Order(CodePointOrder.Instance).ToArray()!;
        if (classes.Length == 0)
            throw new DataException($"{directory}: no class folders (expected one sub-folder of images per class, e.g. {Path.Combine(directory, "cat", "1.jpg")})");
        if (classNames is not null && !classes.SequenceEqual(classNames))
            throw new DataException($"{directory}: its class folders ({ClassNames.Preview(classes, 5)}) differ from the training split's ({ClassNames.Preview(classNames, 5)})");
        var files = new List<ImageFile>();
        for (int label = 0; label < classes.Length; label++)
        {
            var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden, IgnoreInaccessible = false };
            var paths = Directory.EnumerateFiles(Path.Combine(directory, classes[label]), "*", options)
                .Where(p => !Path.GetFileName(p).StartsWith('.')).Order(StringComparer.Ordinal);
            files.AddRange(paths.Select(p => new ImageFile(Path.GetFullPath(p), label)));
        }
        if (files.Count == 0) throw new DataException($"{directory}: the class folders hold no files");
        return new ImageFileSet(name, files, classes);
    }
}
