// `list:TRAIN.txt[,VAL.txt]`: text files of "relative/path label" lines, as ILSVRC distributes its splits (paths are
// relative to the list file's folder; blank lines and lines starting with # are skipped; a path may contain spaces,
// the label is the last field). Class names come from classes.txt beside the training list (one per line, blank
// lines skipped: the k-th name is label k - 1's) if present, else are the numbers 0..(highest label).
using System.Globalization;

namespace ConvNet.Data.Images;

public static class ImageListFile
{
    public const string ClassNamesFile = "classes.txt";

    public static (ImageFileSet Train, ImageFileSet? Validation) Open(string trainList, string? validationList)
    {
        var train = ReadLines(trainList);
        var validation = validationList is null ? null : ReadLines(validationList);
        int highest = train.Concat(validation ?? []).Select(f => f.Label).DefaultIfEmpty(-1).Max();
        string namesPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(trainList))!, ClassNamesFile);
        IReadOnlyList<string> names;
        if (File.Exists(namesPath))
        {
            names = ClassNames.ReadFile(namesPath);
            if (highest >= names.Count)
                throw new DataException($"{trainList}: label {highest} is beyond the {names.Count} classes named in {namesPath}");
        }
        else names = ClassNames.Numbered(highest + 1);
        if (train.Count == 0) throw new DataException($"{trainList}: the list names no images");
        return (new ImageFileSet(trainList, train, names), validation is null ? null : new ImageFileSet(validationList!, validation, names));
    }

    // ImageNet's training list is about 60 MB.
    private const long ListLimit = 1L << 30;

    public static List<ImageFile> ReadLines(string listPath)
    {
        if (!File.Exists(listPath)) throw new DataException($"{listPath}: list file not found");
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
            string named = line[..space].TrimEnd();
            if (named.IndexOfAny(Path.GetInvalidPathChars()) >= 0 || named.Contains('\0'))
                throw new DataException($"{listPath} line {lineNumber}: the path holds characters no file name can have");
            string path = Path.GetFullPath(Path.Combine(root, named));
            if (!File.Exists(path)) throw new DataException($"{listPath} line {lineNumber}: names {path}, which does not exist");
            files.Add(new ImageFile(path, label));
        }
        return files;
    }
}
