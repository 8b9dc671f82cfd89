// `folder:DIR`: one sub-folder per class (class names = folder names, sorted by Unicode code point, as ILSVRC's synset
// folders and torchvision's ImageFolder sort them, so a class has the same index in both), every non-hidden file below
// it an image. If DIR has both train/ and val/ sub-folders, they are the two splits
// and must have the same classes.
// Links to folders below a class folder are followed, as torchvision's os.walk(followlinks=True) does (datasets are
// often assembled from links), except one that leads back into the dataset or to a folder holding it: `loop -> ..`
// made .NET's recursion read the class's parent some 40 times over (until the kernel's limit on nested links), every
// other class's images labelled as this one, with no word said. Such a link is refused, named.
using System.IO.Enumeration;
using ConvNet.IO;

namespace ConvNet.Data.Images;

public static class ImageFolder
{
    /// <summary>The training files and, when DIR has train/ and val/, the validation files.</summary>
    public static (ImageFileSet Train, ImageFileSet? Validation) Open(string directory)
    {
        if (!Directory.Exists(directory)) throw new DataException($"folder:{directory}: directory not found{IO.FolderPath.WrongKind(directory, wantFolder: true)}");
        if (!HasSplits(directory)) return (Read(directory, $"{directory}"), null);
        string train = Path.Combine(directory, "train"), val = Path.Combine(directory, "val");

        var trainSet = Read(train, $"{directory} train", datasetRoot: directory);
        var valSet = Read(val, $"{directory} val", trainSet.ClassNames, directory);
        return (trainSet, valSet);
    }

    /// <summary>Whether DIR holds train/ and val/, its two splits (else its sub-folders are the classes).</summary>
    public static bool HasSplits(string directory) =>
        Directory.Exists(Path.Combine(directory, "train")) && Directory.Exists(Path.Combine(directory, "val"));

    /// <summary>One class-per-sub-folder tree. With <paramref name="classNames"/> given, the sub-folders must be exactly those.</summary>
    /// <param name="datasetRoot">the folder: DIR this tree belongs to (DIR itself, or DIR above train/ and val/):
    /// links into it are refused</param>
    public static ImageFileSet Read(string directory, string name, IReadOnlyList<string>? classNames = null, string? datasetRoot = null)
    {
        if (!Directory.Exists(directory)) throw new DataException($"{directory}: directory not found{IO.FolderPath.WrongKind(directory, wantFolder: true)}");
        string[] classes = Directory.GetDirectories(directory).Select(Path.GetFileName).Where(n => !n!.StartsWith('.')).Order(CodePointOrder.Instance).ToArray()!;
        // Two such folders would also read as one class name.
        foreach (string c in classes)
            if (IO.InputFile.NotUtf8Name(Path.Combine(directory, c)) is { } notUtf8)
                throw new DataException($"{Path.Combine(directory, c)}: the class folder's {notUtf8}");
        if (classes.Length == 0)
            throw new DataException($"{directory}: no class folders (expected one sub-folder of images per class, e.g. {Path.Combine(directory, "cat", "1.jpg")})");
        if (classNames is not null && !classes.SequenceEqual(classNames))
            throw new DataException($"{directory}: its class folders ({ClassNames.Preview(classes, 5)}) differ from the training split's ({ClassNames.Preview(classNames, 5)})");
        var files = new List<ImageFile>();
        var dataset = new DatasetFolder(datasetRoot ?? directory, directory);
        for (int label = 0; label < classes.Length; label++)
        {
            var paths = FilesBelow(Path.Combine(directory, classes[label]), dataset).Order(StringComparer.Ordinal);
            files.AddRange(paths.Select(p => new ImageFile(Path.GetFullPath(p), label)));
        }
        if (files.Count == 0) throw new DataException($"{directory}: the class folders hold no files");
        return new ImageFileSet(name, files, classes);
    }

    // The dataset's root folder and the folders above and down to the split's: what a link below a class folder must
    // not lead to. Null identities where the system cannot tell (not Linux): links are then followed unchecked.
    private sealed class DatasetFolder
    {
        public string Root { get; }
        public FileStatus? Identity { get; }
        public List<FileStatus> Holding { get; } = []; // the root's parent, its parent, ... up to /
        public List<FileStatus> DownToSplit { get; } = []; // the root, then each folder down to the split's
        // The folders whose images are read: train/ and val/ when the root has both (a link into another folder of
        // the root, e.g. raw/, reads those images once), else the root itself.
        public List<(string Path, FileStatus Identity)> Read { get; } = [];

        public DatasetFolder(string root, string split)
        {
            Root = Path.GetFullPath(root);
            Identity = FileStatus.Of(Root);
            if (Identity is not { } identity) return;
            Holding.AddRange(Ancestors(Root));
            DownToSplit.Add(identity);
            foreach (string read in HasSplits(Root) ? new[] { Path.Combine(Root, "train"), Path.Combine(Root, "val") } : new[] { Root })
                if (FileStatus.Of(read) is { } readIdentity) Read.Add((read, readIdentity));
            string relative = Path.GetRelativePath(Root, Path.GetFullPath(split));
            string at = Root;
            if (relative != ".")
                foreach (string part in relative.Split(Path.DirectorySeparatorChar))
                    if (FileStatus.Of(at = Path.Combine(at, part)) is { } below) DownToSplit.Add(below);
        }

        // The folders physically above `folder` (through "..", so a link in its path is resolved first), nearest first.
        public static IEnumerable<FileStatus> Ancestors(string folder)
        {
            FileStatus? previous = FileStatus.Of(folder);
            string up = folder;
            for (int depth = 0; depth < 4096 && previous is { } child; depth++)
            {
                up = Path.Combine(up, "..");
                if (FileStatus.Of(up) is not { } parent || parent.SameFileAs(child)) yield break; // "/.." is "/"
                yield return parent;
                previous = parent;
            }
        }
    }

    // Every non-hidden file below a class folder.
    private static List<string> FilesBelow(string classFolder, DatasetFolder dataset)
    {
        var options = new EnumerationOptions { AttributesToSkip = FileAttributes.Hidden, IgnoreInaccessible = false };
        var files = new List<string>();
        var start = dataset.Identity is null ? null : FileStatus.Of(classFolder);
        // Each folder to read with the identities of the folders it is inside (a folder met again among them is a loop)
        // and the link it was reached through, if any (named when refused).
        var pending = new Stack<(string Folder, List<FileStatus> Above, string? Link)>();
        pending.Push((classFolder, start is { } s ? [.. dataset.DownToSplit, s] : [], null));
        while (pending.TryPop(out var next))
        {
            // Paths and kinds only: a FileInfo for each of ImageNet's 1.28 M files made the listing 4 times slower.
            var entries = new FileSystemEnumerable<(string Path, bool IsFolder)>(next.Folder, (ref FileSystemEntry e) => (e.ToFullPath(), e.IsDirectory), options)
            {
                ShouldIncludePredicate = (ref FileSystemEntry e) => !e.FileName.StartsWith('.'),
            };
            foreach (var (path, isFolder) in entries)
            {
                if (!isFolder)
                {
                    files.Add(path);
                    continue;
                }
                var folder = new DirectoryInfo(path);
                string? link = folder.LinkTarget is null ? next.Link : folder.FullName;
                if (dataset.Identity is not { } root)
                {
                    pending.Push((folder.FullName, [], link));
                    continue;
                }
                var identity = FileStatus.Of(folder.FullName)
                    ?? throw new DataException($"{folder.FullName}: cannot tell what this folder is (a link to a folder that cannot be examined?)");
                if (folder.LinkTarget is { } target)
                    RefuseLinkIntoTheDataset(folder.FullName, target, identity, root, dataset, classFolder);
                if (next.Above.Any(identity.SameFileAs))
                    throw new DataException($"{link ?? folder.FullName}: a link back to a folder it is inside (a loop): following it would read the same " +
                        $"images again and again, under class {Path.GetFileName(classFolder)}; remove the link");
                pending.Push((folder.FullName, [.. next.Above, identity], link));
            }
        }
        return files;
    }

    private static void RefuseLinkIntoTheDataset(string link, string target, FileStatus identity, FileStatus root, DatasetFolder dataset, string classFolder)
    {
        string className = Path.GetFileName(classFolder);
        var inside = DatasetFolder.Ancestors(link).Prepend(identity).ToList(); // the target and every folder holding it
        if (identity.SameFileAs(root))
            throw new DataException($"{link}: a link to {target}, the dataset {dataset.Root} itself: its images would be read again, " +
                $"labelled {className}; remove the link");
        foreach (var (read, readIdentity) in dataset.Read)
            if (inside.Any(readIdentity.SameFileAs))
                throw new DataException($"{link}: a link to {target}, inside {read}, which the dataset reads: its images would be read again, " +
                    $"labelled {className}; remove the link, or copy the images there if they belong to this class too");
        if (dataset.Holding.Any(identity.SameFileAs))
            throw new DataException($"{link}: a link to {target}, a folder that holds the dataset {dataset.Root}: following it would read the " +
                $"dataset again and again, under class {className} (a loop); remove the link");
    }
}
