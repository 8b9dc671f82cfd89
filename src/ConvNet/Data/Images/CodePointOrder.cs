// Python's string order, for class folder names.
namespace ConvNet.Data.Images;

/// <summary>Orders strings by Unicode code point, as Python's sorted() does. .NET's ordinal order compares UTF-16 code
/// units, which puts a character above U+FFFF (a surrogate pair, 0xD800-0xDFFF) before U+E000-U+FFFF.</summary>
public sealed class CodePointOrder : IComparer<string?>
{
    public static CodePointOrder Instance { get; } = new();

    public int Compare(string? x, string? y)
    {
        if (x is null || y is null) return x is null ? y is null ? 0 : -1 : 1;
        int length = Math.Min(x.Length, y.Length);
        for (int i = 0; i < length; i++)
            if (x[i] != y[i]) return Key(x[i]).CompareTo(Key(y[i]));
        return x.Length.CompareTo(y.Length);
    }

    // Surrogates move above U+E000-U+FFFF; every other code unit keeps its order.
    private static int Key(char c) => c >= 0xD800 ? c >= 0xE000 ? c - 0x800 : c + 0x2000 : c;
}
