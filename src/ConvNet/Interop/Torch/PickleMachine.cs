// Python's pickle format, read as data: the opcodes torch.save writes (protocol 2, and those of protocols 3-4 a newer
// Python may use) run on a stack machine that only ever builds values (PickleValues.cs). Where Python would import a
// class and call it, the caller's `call` decides what the call stands for (an OrderedDict, a tensor) and anything else
// becomes an inert PickleObject, so a hostile file can describe code but never run it. Every length is checked against
// the bytes left, so a damaged file gives a message naming the byte, never a crash or a huge allocation.
using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace ConvNet.Interop.Torch;

internal sealed class PickleMachine
{
    private readonly Stream _stream;
    private readonly string _source;
    private readonly Func<object?, object?> _persistentLoad;
    private readonly Func<PickleGlobal, object?[], object?> _call;
    private readonly List<object?> _stack = [];
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = [];

    /// <param name="stream">positioned at the pickle's first byte; left after its STOP (the legacy format has more)</param>
    /// <param name="source">the file, for messages</param>
    /// <param name="persistentLoad">what a persistent id (torch's storages) stands for</param>
    /// <param name="call">what calling a global with arguments gives; null: not one this reader rebuilds</param>
    public PickleMachine(Stream stream, string source, Func<object?, object?> persistentLoad, Func<PickleGlobal, object?[], object?> call)
    {
        (_stream, _source, _persistentLoad) = (stream, source, persistentLoad);
        _call = call;
    }

    /// <summary>Runs one pickle to its STOP and returns the value it made.</summary>
    /// <exception cref="InvalidDataException">the bytes are not a pickle this reader takes, or are cut short</exception>
    public object? Load()
    {
        long start = _stream.Position;
        while (true)
        {
            long at = _stream.Position;
            int op = _stream.ReadByte();
            if (op < 0) throw Error(at, $"the pickle that starts at byte {start} ends before its STOP opcode");
            switch (op)
            {
                case 0x80: ReadBytes(1, at); break; // PROTO: any version; unknown opcodes are refused one by one
                case 0x95: ReadBytes(8, at); break; // FRAME: a length hint only
                case '.': return _stack.Count == 1 ? Pop(at) : throw Error(at, $"STOP with {_stack.Count} values on the stack, not 1");
                case '(': _marks.Push(_stack.Count); break;
                case '0': Pop(at); break;
                case '1': PopMark(at); break;
                case '2': _stack.Add(Peek(at)); break;
                case 'N': _stack.Add(null); break;
                case 0x88: _stack.Add(true); break;
                case 0x89: _stack.Add(false); break;
                case 'K': _stack.Add((long)ReadBytes(1, at)[0]); break;
                case 'M': _stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2, at))); break;
                case 'J': _stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4, at))); break;
                case 0x8a: _stack.Add(Integer(ReadBytes(ReadBytes(1, at)[0], at))); break; // LONG1
                case 0x8b: _stack.Add(Integer(ReadBytes(Length(BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4, at)), at), at))); break; // LONG4
                case 'I': _stack.Add(TextInteger(ReadLine(at), at)); break;
                case 'L': _stack.Add(TextInteger(ReadLine(at).TrimEnd('L'), at)); break;
                case 'G': _stack.Add(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8, at))); break;
                case 'X': _stack.Add(Utf8(ReadBytes(Length(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4, at)), at), at), at)); break;
                case 0x8c: _stack.Add(Utf8(ReadBytes(ReadBytes(1, at)[0], at), at)); break; // SHORT_BINUNICODE
                case 0x8d: _stack.Add(Utf8(ReadBytes(Length(BinaryPrimitives.ReadInt64LittleEndian(ReadBytes(8, at)), at), at), at)); break; // BINUNICODE8
                // Python 2's str: bytes, which its pickles used for names and keys (latin-1 keeps every byte).
                case 'U': _stack.Add(Encoding.Latin1.GetString(ReadBytes(ReadBytes(1, at)[0], at))); break;
                case 'T': _stack.Add(Encoding.Latin1.GetString(ReadBytes(Length(BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4, at)), at), at))); break;
                case 'C': _stack.Add(ReadBytes(ReadBytes(1, at)[0], at)); break; // SHORT_BINBYTES
                case 'B': _stack.Add(ReadBytes(Length(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4, at)), at), at)); break;
                case 0x8e: _stack.Add(ReadBytes(Length(BinaryPrimitives.ReadInt64LittleEndian(ReadBytes(8, at)), at), at)); break; // BINBYTES8
                case ')': _stack.Add(Array.Empty<object?>()); break;
                case 't': _stack.Add(PopMark(at).ToArray()); break;
                case 0x85: _stack.Add(PopTuple(1, at)); break;
                case 0x86: _stack.Add(PopTuple(2, at)); break;
                case 0x87: _stack.Add(PopTuple(3, at)); break;
                case ']': _stack.Add(new List<object?>()); break;
                case 'l': _stack.Add(PopMark(at)); break;
                case 'a': Append([Pop(at)], at); break;
                case 'e': Append(PopMark(at), at); break;
                case 0x8f: _stack.Add(new List<object?>()); break; // EMPTY_SET: a list will do for reading
                case 0x90: Append(PopMark(at), at); break; // ADDITEMS
                case 0x91: _stack.Add(PopMark(at)); break; // FROZENSET
                case '}': _stack.Add(new PickleDict()); break;
                case 'd': _stack.Add(Dict(PopMark(at), at)); break;
                case 's': { var value = Pop(at); var key = Pop(at); SetItems([key, value], at); break; }
                case 'u': SetItems(PopMark(at), at); break;
                case 'c': _stack.Add(new PickleGlobal(ReadLine(at), ReadLine(at))); break;
                case 0x93: // STACK_GLOBAL
                {
                    var name = Pop(at);
                    var module = Pop(at);
                    if (module is not string m || name is not string n) throw Error(at, "STACK_GLOBAL needs a module and a name (strings)");
                    _stack.Add(new PickleGlobal(m, n));
                    break;
                }
                case 'R': { var arguments = Pop(at); var callable = Pop(at); _stack.Add(Call(callable, arguments, at)); break; }
                case 0x81: { var arguments = Pop(at); var type = Pop(at); _stack.Add(Call(type, arguments, at)); break; } // NEWOBJ
                case 0x92: { Pop(at); var arguments = Pop(at); var type = Pop(at); _stack.Add(Call(type, arguments, at)); break; } // NEWOBJ_EX (keyword arguments ignored)
                case 'b': Build(Pop(at), at); break;
                case 'Q': _stack.Add(_persistentLoad(Pop(at))); break; // BINPERSID
                case 'q': _memo[ReadBytes(1, at)[0]] = Peek(at); break;
                case 'r': _memo[BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4, at))] = Peek(at); break;
                case 'p': _memo[TextInteger(ReadLine(at), at) is long p ? p : throw Error(at, "PUT needs a memo index")] = Peek(at); break;
                case 0x94: _memo[_memo.Count] = Peek(at); break; // MEMOIZE
                case 'h': _stack.Add(Memo(ReadBytes(1, at)[0], at)); break;
                case 'j': _stack.Add(Memo(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4, at)), at)); break;
                case 'g': _stack.Add(Memo(TextInteger(ReadLine(at), at) is long g ? g : throw Error(at, "GET needs a memo index"), at)); break;
                default:
                    throw Error(at, $"opcode 0x{op:x2}{(op is >= 0x20 and < 0x7f ? $" ('{(char)op}')" : "")} is not one torch.save writes; not read");
            }
        }
    }

    private object? Call(object? callable, object? arguments, long at)
    {
        if (callable is not PickleGlobal global) throw Error(at, $"a call of {Describe(callable)}, not of a class or function named in the file");
        if (arguments is not object?[] tuple) throw Error(at, $"a call of {global} with {Describe(arguments)} for its arguments, not a tuple");
        return _call(global, tuple) ?? new PickleObject(global, tuple);
    }

    private void Build(object? state, long at)
    {
        switch (Peek(at))
        {
            case PickleObject o: o.State = state; break;
            case PickleDict: break; // an OrderedDict's attributes: a state dict's _metadata (module versions)
            case TorchTensor: break; // a tensor's attributes (torch 1.x writes none for plain tensors)
            case var other: throw Error(at, $"BUILD on {Describe(other)}");
        }
    }

    private void Append(List<object?> items, long at)
    {
        switch (Peek(at))
        {
            case List<object?> list: list.AddRange(items); break;
            case PickleObject: break; // a list subclass this reader does not rebuild
            case var other: throw Error(at, $"APPEND to {Describe(other)}, not a list");
        }
    }

    private void SetItems(List<object?> items, long at)
    {
        if (items.Count % 2 != 0) throw Error(at, "SETITEMS with a key and no value");
        switch (Peek(at))
        {
            case PickleDict dict:
                for (int i = 0; i < items.Count; i += 2) dict.Set(Hashable(items[i], at), items[i + 1]);
                break;
            case PickleObject: break; // a dict subclass this reader does not rebuild
            case var other: throw Error(at, $"SETITEM on {Describe(other)}, not a dict");
        }
    }

    private PickleDict Dict(List<object?> items, long at)
    {
        _stack.Add(new PickleDict());
        SetItems(items, at);
        return (PickleDict)Pop(at)!;
    }

    // Lists and dicts are not hashable in Python; a key that is one is no pickle Python wrote.
    private object? Hashable(object? key, long at) =>
        key is List<object?> or PickleDict ? throw Error(at, $"a dict key that is {Describe(key)}") : key;

    private object?[] PopTuple(int count, long at)
    {
        if (_stack.Count - CurrentMark() < count) throw Error(at, $"a tuple of {count} with fewer values on the stack");
        var tuple = _stack.GetRange(_stack.Count - count, count).ToArray();
        _stack.RemoveRange(_stack.Count - count, count);
        return tuple;
    }

    private int CurrentMark() => _marks.Count > 0 ? _marks.Peek() : 0;

    private object? Pop(long at)
    {
        if (_stack.Count <= CurrentMark()) throw Error(at, "a value is taken from an empty stack");
        var value = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private object? Peek(long at) => _stack.Count > CurrentMark() ? _stack[^1] : throw Error(at, "a value is read from an empty stack");

    private List<object?> PopMark(long at)
    {
        if (_marks.Count == 0) throw Error(at, "no MARK to take values back to");
        int mark = _marks.Pop();
        var items = _stack.GetRange(mark, _stack.Count - mark);
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    private object? Memo(long index, long at) =>
        _memo.TryGetValue(index, out var value) ? value : throw Error(at, $"memo entry {index} is read before it is written");

    private long Length(long length, long at) =>
        length >= 0 && length <= _stream.Length - _stream.Position
            ? length : throw Error(at, $"a length of {length:N0} bytes, more than the {_stream.Length - _stream.Position:N0} left in the file");

    private byte[] ReadBytes(long count, long at)
    {
        Length(count, at);
        var bytes = new byte[count];
        _stream.ReadExactly(bytes);
        return bytes;
    }

    private string ReadLine(long at)
    {
        var line = new StringBuilder();
        while (true)
        {
            int b = _stream.ReadByte();
            if (b < 0) throw Error(at, "a line that does not end");
            if (b == '\n') return line.ToString();
            if (line.Length >= 1024) throw Error(at, "a line over 1,024 bytes");
            line.Append((char)b);
        }
    }

    private object TextInteger(string text, long at)
    {
        if (text == "00") return false; // protocol 0's booleans
        if (text == "01") return true;
        return BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? Integer(value) : throw Error(at, $"'{text}' is not an integer");
    }

    private static object Integer(byte[] littleEndian) => Integer(new BigInteger(littleEndian, isUnsigned: false, isBigEndian: false));

    private static object Integer(BigInteger value) => value >= long.MinValue && value <= long.MaxValue ? (object)(long)value : value;

    private string Utf8(byte[] bytes, long at)
    {
        try { return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes); }
        catch (DecoderFallbackException) { throw Error(at, "a string that is not UTF-8"); }
    }

    /// <summary>A value as a message names it: "a list", "collections.OrderedDict(...)", "the string 'x'".</summary>
    public static string Describe(object? value) => value switch
    {
        null => "None",
        string s => $"the string '{(s.Length > 40 ? s[..40] + "..." : s)}'",
        long or BigInteger => $"the integer {value}",
        double d => $"the number {d.ToString(CultureInfo.InvariantCulture)}",
        bool b => b ? "True" : "False",
        byte[] => "bytes",
        object?[] => "a tuple",
        List<object?> => "a list",
        PickleDict => "a dict",
        PickleGlobal g => g.ToString(),
        PickleObject o => $"a {o.Type}",
        TorchTensor => "a tensor",
        _ => value.GetType().Name,
    };

    private InvalidDataException Error(long at, string problem) => new($"{_source}: byte {at:N0}: {problem} (not a pickle torch.save wrote, or a damaged one)");
}
