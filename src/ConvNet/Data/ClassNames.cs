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
    /// k-th name names label k - 1. A name twice is refused: eval and show match classes by name, so a name may stand
    /// for one class only.</summary>
    public static string[] ReadFile(string path)
    {
        var lines = IO.InputFile.ReadAllLines(path, IO.InputFile.MaxSmallTextBytes);
        var firstLine = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < lines.Length; i++)
        {
            string name = lines[i].Trim();
            if (name.Length > 0 && !firstLine.TryAdd(name, i + 1))
                throw new DataException($"{path}: line {i + 1}: class name '{name}' is already on line {firstLine[name]}; class names must be unique");
        }
        return firstLine.OrderBy(n => n.Value).Select(n => n.Key).ToArray();
    }

    /// <summary>"0", "1", ... for datasets that carry no names.</summary>
    public static IReadOnlyList<string> Numbered(int count) =>
        Enumerable.Range(0, count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
}
