// Parses the Python dict literal in a .npy header: string keys mapped to a string, True/False or a tuple of
// integers: exactly what numpy writes, nothing more. Values come back as string, bool or long[].
using System.Globalization;

namespace ConvNet.Interop;

internal sealed class NpyHeader
{
    private readonly string _text;
    private readonly string _source;
    private int _at;

    private NpyHeader(string text, string source) => (_text, _source) = (text, source);

    public static Dictionary<string, object> Parse(string text, string source) => new NpyHeader(text, source).ParseDict();

    private Dictionary<string, object> ParseDict()
    {
        var result = new Dictionary<string, object>(StringComparer.Ordinal);
        Expect('{');
        while (true)
        {
            SkipSpace();
            if (Peek() == '}') { _at++; break; }
            string key = ParseString();
            Expect(':');
            object value = ParseValue();
            if (!result.TryAdd(key, value)) throw Bad($"key '{key}' appears twice");
            SkipSpace();
            if (Peek() == ',') { _at++; continue; }
            Expect('}');
            break;
        }
        SkipSpace();
        if (_at != _text.Length) throw Bad($"unexpected text after the dict at character {_at}");
        return result;
    }

    private object ParseValue()
    {
        SkipSpace();
        char c = Peek();
        if (c is '\'' or '"') return ParseString();
        if (c == '(') return ParseTuple();
        if (Match("True")) return true;
        if (Match("False")) return false;
        throw Bad($"unexpected value at character {_at}");
    }

    private long[] ParseTuple()
    {
        Expect('(');
        var values = new List<long>();
        while (true)
        {
            SkipSpace();
            if (Peek() == ')') { _at++; return [.. values]; }
            int start = _at;
            while (_at < _text.Length && char.IsAsciiDigit(_text[_at])) _at++;
            // numpy may write 3L (Python 2 longs) in old files.
            if (!long.TryParse(_text.AsSpan(start, _at - start), NumberStyles.None, CultureInfo.InvariantCulture, out long v))
                throw Bad($"shape entry at character {start} is not a non-negative integer");
            if (_at < _text.Length && _text[_at] == 'L') _at++;
            values.Add(v);
            SkipSpace();
            if (Peek() == ',') { _at++; continue; }
            Expect(')');
            return [.. values];
        }
    }

    private string ParseString()
    {
        SkipSpace();
        char quote = Peek();
        if (quote is not ('\'' or '"')) throw Bad($"expected a quoted string at character {_at}");
        int end = _text.IndexOf(quote, _at + 1);
        if (end < 0) throw Bad("unterminated string");
        string s = _text[(_at + 1)..end];
        _at = end + 1;
        return s;
    }

    private bool Match(string word)
    {
        if (string.CompareOrdinal(_text, _at, word, 0, word.Length) != 0) return false;
        _at += word.Length;
        return true;
    }

    private void Expect(char c)
    {
        SkipSpace();
        if (Peek() != c) throw Bad($"expected '{c}' at character {_at}");
        _at++;
    }

    private char Peek() => _at < _text.Length ? _text[_at] : '\0';

    private void SkipSpace()
    {
        while (_at < _text.Length && char.IsWhiteSpace(_text[_at])) _at++;
    }

    private InvalidDataException Bad(string problem) => new($"{_source}: header dict: {problem}");
}
