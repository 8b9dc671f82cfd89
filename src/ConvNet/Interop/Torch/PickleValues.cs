// What PickleMachine builds from a pickle: plain values (null, bool, long, BigInteger, double, string, byte[]), tuples
// (object?[]), lists (List<object?>), dicts in insertion order, and, for anything that would call Python code, an
// inert record of what would have been called. Nothing is ever executed: a class named in the file is only a name.
namespace ConvNet.Interop.Torch;

/// <summary>A Python class or function named by a GLOBAL opcode ("collections", "OrderedDict").</summary>
internal sealed record PickleGlobal(string Module, string Name)
{
    public override string ToString() => $"{Module}.{Name}";
}

/// <summary>A dict (or OrderedDict), its entries in the order the pickle set them.</summary>
internal sealed class PickleDict
{
    private readonly Dictionary<object, int> _index = []; // where each hashable key's entry is: a set costs O(1)
    private int? _none;

    public List<KeyValuePair<object?, object?>> Entries { get; } = [];

    /// <summary>Sets a key as Python would: a key set again keeps its place and takes the new value. Tuples (arrays
    /// here) are compared by reference, which can only keep two entries Python would have merged.</summary>
    public void Set(object? key, object? value)
    {
        int? at = key is null ? _none : _index.TryGetValue(key, out int i) ? i : null;
        if (at is { } existing)
        {
            Entries[existing] = new(key, value);
            return;
        }
        if (key is null) _none = Entries.Count;
        else _index[key] = Entries.Count;
        Entries.Add(new(key, value));
    }

    public object? this[string key] => _index.TryGetValue(key, out int i) ? Entries[i].Value : null;
}

/// <summary>The result of calling (REDUCE, NEWOBJ) a class or function this reader does not rebuild: its name, its
/// arguments, and the state a BUILD gave it. A pickled nn.Module is one of these.</summary>
internal sealed class PickleObject(PickleGlobal type, object?[] arguments)
{
    public PickleGlobal Type { get; } = type;
    public object?[] Arguments { get; } = arguments;
    public object? State { get; set; }
}

/// <summary>A storage named by a persistent id: where its bytes are is the file format's business.</summary>
/// <param name="Key">the storage's key in the file (the zip entry's name under data/, or the legacy format's key)</param>
/// <param name="Type">torch's storage class: FloatStorage, HalfStorage, ...</param>
/// <param name="Elements">how many elements the file says it holds</param>
/// <param name="Offset">for a view of a storage (the legacy format's), its first element in the storage the key names</param>
internal sealed record TorchStorage(string Key, string Type, long Elements, long Offset = 0);

/// <summary>torch._utils._rebuild_tensor_v2's arguments: a view of a storage.</summary>
internal sealed record TorchTensor(TorchStorage Storage, long Offset, long[] Size, long[] Stride);
