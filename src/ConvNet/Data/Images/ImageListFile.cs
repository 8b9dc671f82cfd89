// `list:TRAIN.txt[,VAL.txt]`: text files of "relative/path label" lines, as ILSVRC distributes its splits (paths are
// relative to the list file's folder; blank lines and lines starting with # are skipped; a path may contain spaces,
// the label is the last field). Class names come from classes.txt beside the training list (one per line, blank
// lines skipped: the k-th name is label k - 1's) if present, else are the numbers 0..(the training list's highest
// label). A label past the classes, in either list, is refused at its line.
using System.Globalization;

namespace ConvNet.Data.Images;

public static class ImageListFile
{
    public const string ClassNamesFile = "classes.txt";

    public static (ImageFileSet Train, ImageFileSet? Validation) Open(string trainList, string? validationList)
    {
        string namesPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(trainList))!, ClassNamesFile);
        IReadOnlyList<string>? named = File.Exists(namesPath) ? ClassNames.ReadFile(namesPath) : null;
        var train = ReadLines(trainList, named?.Count, $"the {named?.Count} classes named in {namesPath}");
        if (train.Count == 0) throw new DataException($"{trainList}: the list names no images");
        int highest = train.Max(f => f.Label);
        var names = named ?? ClassNames.Numbered(highest + 1);
        // Without classes.txt the training list alone sets the classes: a validation label past them is that list's
        // mistake, named at its line (it made classes the training list never trains, and was blamed on it).
        var validation = validationList is null ? null
            : ReadLines(validationList, names.Count, named is null ? $"the {names.Count} classes of {trainList} (labels 0 to {highest})" : $"the {names.Count} classes named in {namesPath}");
        // An empty one held nothing out: validation error n/a, and every epoch "best" (an empty val/ is refused too).
        if (validation is { Count: 0 })
            throw new DataException($"{validationList}: the validation list names no images; give it images, or leave it out to train on {trainList} alone");
        return (new ImageFileSet(trainList, train, names), validation is null ? null : new ImageFileSet(validationList!, validation, names));
    }

    // ImageNet's training list is about 60 MB.
    private const long ListLimit = 1L << 30;

    /// <param name="classCount">labels must be below this (null: any label)</param>
    /// <param name="classes">the classes <paramref name="classCount"/> counts, for the message: "the 3 classes named in ..."</param>
    public static List<ImageFile> ReadLines(string listPath, int? classCount = null, string classes = "")
    {
        if (!File.Exists(listPath)) throw new DataException($"{listPath}: list file not found{IO.FolderPath.WrongKind(listPath, wantFolder: false)}");
        string root = Path.GetDirectoryName(Path.GetFullPath(listPath))!;
        var files = new List<ImageFile>();
        int lineNumber = 0;
        foreach (string raw in IO.InputFile.ReadAllLines(listPath, ListLimit))
        {
            lineNumber++;
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            int space = line.LastIndexOfAny([' ', '\t']);
            if (space <= 0 || !int.TryParse(line.AsSpan(space + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int label))
                throw new DataException($"{listPath} line {lineNumber}: expected 'relative/path label' (label a non-negative integer), got '{line}'");
            if (label >= classCount) throw new DataException($"{listPath} line {lineNumber}: label {label} is beyond {classes}");
            string named = line[..space].TrimEnd();
            if (named.IndexOfAny(Path.GetInvalidPathChars()) >= 0 || named.Contains('\0'))
                throw new DataException($"{listPath} line {lineNumber}: the path holds characters no file name can have");
            string path = Path.GetFullPath(Path.Combine(root, named));
            if (!File.Exists(path))
                throw new DataException($"{listPath} line {lineNumber}: names {path}, " + (Directory.Exists(path) ? "which is a folder, not an image file" : "which does not exist"));
            files.Add(new ImageFile(path, label));
        }
        return files;
    }
}
