// Class names of the built-in datasets, index = label.
namespace ConvNet.Data;

public static class ClassNames
{
    public static IReadOnlyList<string> FashionMnist { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    public static IReadOnlyList<string> Cifar10 { get; } =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    public static IReadOnlyList<string> Digits { get; } = Numbered(10);

    /// <summary>The 1,000 ILSVRC-2012 classes in synset order, for models trained on ImageNet.</summary>
    public static IReadOnlyList<string> ImageNet => ImageNetNames.Value;

    private static readonly Lazy<string[]> ImageNetNames = new(() =>
    {
        using var stream = typeof(ClassNames).Assembly.GetManifestResourceStream("ConvNet.Data.imagenet-classes.txt")
            ?? throw new InvalidOperationException("the ImageNet class list is missing from the assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()).ToArray();
    });

    /// <summary>Names for a model with <paramref name="count"/> outputs that carries none: ImageNet's for 1000, else numbers.</summary>
    public static IReadOnlyList<string> Default(int count) => count == 1000 ? ImageNet : Numbered(count);

    /// <summary>The first <paramref name="shown"/> names and how many more, for messages: "a, b, c, ... 7 more".</summary>
    public static string Preview(IEnumerable<string> names, int shown = 4)
    {
        var list = names as IReadOnlyList<string> ?? names.ToList();
        return string.Join(", ", list.Take(shown)) + (list.Count > shown ? $", ... {list.Count - shown} more" : "");
    }

    /// <summary>A class-name file (classes.txt, import --class-names): one name per line, blank lines skipped, so the
    /// k-th name names label k - 1, held to <see cref="Problem"/>'s rule.</summary>
    public static string[] ReadFile(string path)
    {
        var lines = IO.InputFile.ReadAllLines(path, IO.InputFile.MaxSmallTextBytes);
        var names = new List<string>();
        var lineNumbers = new List<int>();
        for (int i = 0; i < lines.Length; i++)
        {
            string name = lines[i].Trim();
            if (name.Length == 0) continue;
            names.Add(name);
            lineNumbers.Add(i + 1);
        }
        if (Problem(names, k => $"on line {lineNumbers[k]}") is { } problem) throw new DataException($"{path}: {problem}");
        return [.. names];
    }

    /// <summary>Why <paramref name="names"/> cannot name a model's classes, or null: each class needs a name (not
    /// null, not empty), and a name may stand for one class only, because eval and show match classes by name. The
    /// rule for every list of class names a file brings: a class-name file, a checkpoint's sidecar, a file's metadata.</summary>
    /// <param name="where">where the k-th name is, for the message: "on line 3", "at classNames[2]"</param>
    public static string? Problem(IReadOnlyList<string?> names, Func<int, string> where)
    {
        var first = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int k = 0; k < names.Count; k++)
        {
            string? name = names[k];
            // Blank is a name: a class folder may be called " " (ImageFolder takes it, and runs on it were saved).
            if (string.IsNullOrEmpty(name))
                return $"the class name {where(k)} is {(name is null ? "null" : "empty")}; every class needs a name";
            if (!first.TryAdd(name, k))
                return $"class name '{name}' {where(k)} is already {where(first[name])}; class names must be unique";
        }
        return null;
    }

    /// <summary>"0", "1", ... for datasets that carry no names.</summary>
    public static IReadOnlyList<string> Numbered(int count) =>
        Enumerable.Range(0, count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
}
