// PyTorch's torch.save files (.pth, .pt, .pth.tar), read without Python: the zip format (torch 1.6 and later:
// ARCHIVE/data.pkl, whose persistent ids name storages stored as ARCHIVE/data/KEY) and the legacy format (before 1.6,
// and torchvision's published weights: pickles of a magic number, the protocol version and the machine, then the
// object, then the storage keys, then each storage as an int64 element count and its bytes). The object must be a
// state dict, or a training checkpoint holding one ("state_dict", "model", ...): a pickled module needs its Python
// class, so it is refused with what to do instead. Float32, float16, bfloat16 and float64 tensors are read as float32,
// any strides and storage offset honoured; a storage's size is checked against the bytes the file has for it.
using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;

namespace ConvNet.Interop.Torch;

public static class TorchFile
{
    private static readonly BigInteger LegacyMagic = BigInteger.Parse("119547037146038801333356");
    private const long LegacyProtocol = 1001;

    /// <summary>Entries of a training checkpoint that hold its model's state dict, in the order they are tried.</summary>
    private static readonly string[] StateDictEntries = ["state_dict", "model_state_dict", "model", "net", "network", "weights"];

    /// <summary>Whether the file starts as torch.save writes: a zip archive, or the legacy format's first pickle.</summary>
    public static bool LooksLikeTorchFile(string path)
    {
        Span<byte> head = stackalloc byte[4];
        using var stream = File.OpenRead(path);
        return stream.ReadAtLeast(head, 4, throwOnEndOfStream: false) == 4
            && (head.SequenceEqual("PK\x03\x04"u8) || (head[0] == 0x80 && head[1] is >= 2 and <= 5)); // a pickle's PROTO (torch.save's pickle_protocol)
    }

    /// <summary>The state dict's tensors, as float32, in the file's order.</summary>
    /// <param name="note">told when the tensors came from an entry of a larger checkpoint dict</param>
    /// <exception cref="InvalidDataException">not a torch.save file this reader takes, damaged, or holding no state dict</exception>
    public static IReadOnlyList<NamedTensor> ReadStateDict(string path, Action<string>? note = null)
    {
        using var stream = File.OpenRead(path);
        var head = new byte[4];
        if (stream.ReadAtLeast(head, 4, throwOnEndOfStream: false) < 4)
            throw new InvalidDataException($"{path}: {stream.Length} bytes, too short for a PyTorch file");
        stream.Position = 0;
        if (head.AsSpan().SequenceEqual("PK\x03\x04"u8)) return ReadZip(stream, path, note);
        if (head[0] == 0x80) return ReadLegacy(stream, path, note);
        throw new InvalidDataException($"{path}: not a PyTorch file (torch.save writes a zip archive, or before torch 1.6 a pickle)");
    }

    private static IReadOnlyList<NamedTensor> ReadZip(Stream stream, string path, Action<string>? note)
    {
        ZipArchive zip;
        IReadOnlyCollection<ZipArchiveEntry> entries;
        try
        {
            zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            entries = zip.Entries; // the central directory is read here, and can be as damaged as the rest
        }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: a damaged zip archive ({e.Message})"); }
        using (zip)
        {
            // An entry's sizes are the archive's word: one claiming more bytes than the file has is damaged, not read.
            if (entries.FirstOrDefault(e => e.Length > stream.Length || e.CompressedLength > stream.Length) is { } claims)
                throw new InvalidDataException($"{path}: {claims.FullName} claims {claims.Length:N0} bytes; the whole file has {stream.Length:N0}");
            var pickles = entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1).ToList();
            if (pickles.Count != 1)
                throw new InvalidDataException($"{path}: a zip archive with {(pickles.Count == 0 ? "no" : pickles.Count.ToString())} ARCHIVE/data.pkl entries; torch.save writes one");
            string archive = pickles[0].FullName[..^"data.pkl".Length];
            if (entries.Any(e => e.FullName.StartsWith(archive + "code/", StringComparison.Ordinal) || e.FullName == archive + "constants.pkl"))
                throw new InvalidDataException(TorchScriptRefusal(path));
            if (zip.GetEntry(archive + "byteorder") is { } order && ReadText(order, path) is var byteOrder && byteOrder.Trim() != "little")
                throw new InvalidDataException($"{path}: its tensors are stored {byteOrder.Trim()}-endian; this reader takes little-endian files (save it on an x86 or ARM machine)");
            var storages = new Dictionary<string, TorchStorage>(StringComparer.Ordinal);
            object? top;
            using (var pickle = Buffered(pickles[0], path))
                top = new PickleMachine(pickle, path, id => StorageOf(id, legacy: false, storages, path), Rebuild).Load();
            var stateDict = StateDictIn(top, path, note);
            var cache = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            byte[] BytesOf(TorchStorage storage)
            {
                if (cache.TryGetValue(storage.Key, out var bytes)) return bytes;
                var entry = zip.GetEntry($"{archive}data/{storage.Key}")
                    ?? throw new InvalidDataException($"{path}: storage '{storage.Key}' is named in data.pkl but the archive has no {archive}data/{storage.Key}");
                long expected = storage.Elements * ElementSize(storage.Type, path);
                if (entry.Length != expected)
                    throw new InvalidDataException($"{path}: storage '{storage.Key}' ({storage.Type}, {storage.Elements:N0} elements) should be {expected:N0} bytes; the archive has {entry.Length:N0}");
                using var data = Buffered(entry, path);
                return cache[storage.Key] = data.ToArray();
            }
            return MaterialiseAll(stateDict, BytesOf, path, note);
        }
    }

    private static IReadOnlyList<NamedTensor> ReadLegacy(Stream stream, string path, Action<string>? note)
    {
        object? Next(Func<object?, object?> persistentLoad) => new PickleMachine(stream, path, persistentLoad, Rebuild).Load();
        object? NoStorage(object? id) => throw new InvalidDataException($"{path}: a storage in the file's header pickles");
        if (Next(NoStorage) is not BigInteger magic || magic != LegacyMagic)
            throw new InvalidDataException($"{path}: a pickle, but not one torch.save wrote (its first value is not PyTorch's magic number)");
        var protocol = Next(NoStorage);
        if (protocol is not long version || version != LegacyProtocol)
            throw new InvalidDataException($"{path}: PyTorch's legacy format, version {PickleMachine.Describe(protocol)}; this reader takes version {LegacyProtocol}");
        if (Next(NoStorage) is PickleDict system && system["little_endian"] is false)
            throw new InvalidDataException($"{path}: saved on a big-endian machine; this reader takes little-endian files");
        var storages = new Dictionary<string, TorchStorage>(StringComparer.Ordinal);
        object? top = Next(id => StorageOf(id, legacy: true, storages, path));
        var stateDict = StateDictIn(top, path, note); // before the storages: a file that holds none is said to be so
        if (Next(NoStorage) is not List<object?> keys || keys.Any(k => k is not string))
            throw new InvalidDataException($"{path}: the list of storage keys after the object is missing or not strings");
        // Each storage in the keys' order: an int64 element count, then its bytes.
        var placed = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string key in keys.Cast<string>())
        {
            if (!storages.TryGetValue(key, out var storage))
                throw new InvalidDataException($"{path}: storage '{key}' is listed but no tensor uses it, so its element size is unknown");
            var count = new byte[8];
            if (stream.ReadAtLeast(count, 8, throwOnEndOfStream: false) < 8)
                throw new InvalidDataException($"{path}: the file ends before storage '{key}'");
            long elements = BinaryPrimitives.ReadInt64LittleEndian(count), bytes = elements * ElementSize(storage.Type, path);
            if (elements != storage.Elements || bytes > stream.Length - stream.Position)
                throw new InvalidDataException($"{path}: storage '{key}' ({storage.Type}) should hold {storage.Elements:N0} elements; the file has " +
                    (elements != storage.Elements ? $"{elements:N0}" : $"{(stream.Length - stream.Position) / ElementSize(storage.Type, path):N0} left"));
            placed[key] = stream.Position;
            stream.Position += bytes;
        }
        var cache = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        byte[] BytesOf(TorchStorage storage)
        {
            if (cache.TryGetValue(storage.Key, out var bytes)) return bytes;
            var root = storages[storage.Key];
            if (!placed.TryGetValue(root.Key, out long position))
                throw new InvalidDataException($"{path}: storage '{root.Key}' is used by a tensor but left out of the file's list of storages");
            bytes = new byte[root.Elements * ElementSize(root.Type, path)];
            stream.Position = position;
            stream.ReadExactly(bytes);
            return cache[storage.Key] = bytes;
        }
        return MaterialiseAll(stateDict, BytesOf, path, note);
    }

    // The persistent id of a storage: ("storage", torch.FloatStorage, key, location, elements) in the zip format, with a
    // sixth entry in the legacy one: None, or (view key, offset, elements) for a view of the storage.
    private static TorchStorage StorageOf(object? id, bool legacy, Dictionary<string, TorchStorage> storages, string path)
    {
        if (id is not object?[] { Length: >= 5 } t || t[0] is not "storage" || t[1] is not PickleGlobal type || t[2] is not string key || t[4] is not long elements || elements < 0
            || t.Length != (legacy ? 6 : 5))
            throw new InvalidDataException($"{path}: a persistent id that is not one of torch's storages ({PickleMachine.Describe(id)})");
        if (type.Module != "torch" || !type.Name.EndsWith("Storage", StringComparison.Ordinal))
            throw new InvalidDataException($"{path}: storage '{key}' is of type {type}, not one of torch's storage types");
        // A type without a known size is refused here, naming it; a count whose bytes no long holds cannot be in a file.
        if (elements > long.MaxValue / 8 / ElementSize(type.Name, path))
            throw new InvalidDataException($"{path}: storage '{key}' claims {elements:N0} elements, more than any file holds");
        if (storages.TryGetValue(key, out var known))
        {
            if (known.Type != type.Name || known.Elements != elements)
                throw new InvalidDataException($"{path}: storage '{key}' is described twice, differently");
        }
        else storages[key] = known = new TorchStorage(key, type.Name, elements);
        if (legacy && t[5] is object?[] { Length: 3 } view)
        {
            if (view[0] is not string || view[1] is not long offset || view[2] is not long viewElements || offset < 0 || viewElements < 0 || offset > elements || viewElements > elements - offset)
                throw new InvalidDataException($"{path}: storage '{key}' has a view that does not fit in it");
            return known with { Elements = viewElements, Offset = offset };
        }
        if (legacy && t[5] is not null) throw new InvalidDataException($"{path}: storage '{key}' has view data this reader does not know");
        return known;
    }

    // What the calls in a state dict's pickle stand for; anything else stays an inert PickleObject.
    private static object? Rebuild(PickleGlobal callable, object?[] arguments)
    {
        switch (callable.ToString())
        {
            case "collections.OrderedDict" when arguments.Length == 0:
                return new PickleDict();
            case "torch._utils._rebuild_tensor_v2" or "torch._utils._rebuild_tensor" when arguments.Length >= 4:
                return arguments[0] is TorchStorage storage && arguments[1] is long offset && Longs(arguments[2]) is { } size && Longs(arguments[3]) is { } stride
                    ? new TorchTensor(storage, offset, size, stride) : null;
            case "torch._utils._rebuild_parameter" or "torch._utils._rebuild_parameter_with_state" when arguments.Length >= 1:
                return arguments[0] as TorchTensor; // an nn.Parameter's data
            default:
                return null;
        }
    }

    private static long[]? Longs(object? value) =>
        value is object?[] items && items.All(i => i is long) ? [.. items.Cast<long>()] : null;

    /// <summary>The state dict the file holds: the top object, or a checkpoint's entry that is one.</summary>
    private static List<(string Name, TorchTensor Tensor)> StateDictIn(object? top, string path, Action<string>? note)
    {
        if (top is PickleObject { Type.Module: var scripted } && scripted.StartsWith("__torch__.", StringComparison.Ordinal))
            throw new InvalidDataException(TorchScriptRefusal(path));
        if (top is PickleObject module)
            throw new InvalidDataException($"{path}: holds a whole pickled {module.Type} (torch.save(model)), which only Python with that class can " +
                "rebuild; in PyTorch, save its weights instead: torch.save(model.state_dict(), PATH)");
        if (top is not PickleDict dict) throw new InvalidDataException($"{path}: holds {PickleMachine.Describe(top)}, not a state dict (a dict of tensors)");
        if (dict.Entries.Count == 0) throw new InvalidDataException($"{path}: holds an empty dict: no tensors");
        if (TensorsOf(dict) is { } tensors) return tensors;
        foreach (string entry in StateDictEntries)
            if (dict[entry] is PickleDict inner && TensorsOf(inner) is { } found)
            {
                var others = dict.Entries.Select(e => e.Key).OfType<string>().Where(k => k != entry).ToList();
                note?.Invoke($"read the '{entry}' entry of a training checkpoint" + (others.Count > 0 ? $" (its other entries: {string.Join(", ", others.Take(8))}{(others.Count > 8 ? ", ..." : "")})" : ""));
                return found;
            }
        var keys = dict.Entries.Select(e => e.Key is string s ? s : PickleMachine.Describe(e.Key)).Take(8).ToList();
        var notTensor = dict.Entries.FirstOrDefault(e => e.Value is not TorchTensor);
        throw new InvalidDataException($"{path}: holds a dict that is not a state dict ('{notTensor.Key}' is {PickleMachine.Describe(notTensor.Value)}, not a tensor) " +
            $"and has none of the entries a checkpoint keeps one in ({string.Join(", ", StateDictEntries)}); its keys: {string.Join(", ", keys)}{(dict.Entries.Count > 8 ? ", ..." : "")}");
    }

    private static string TorchScriptRefusal(string path) =>
        $"{path}: a TorchScript archive (torch.jit.save), whose weights live inside its scripted module; in PyTorch, save them as a state dict: " +
        "torch.save(torch.jit.load(PATH).state_dict(), OUT)";

    private static List<(string, TorchTensor)>? TensorsOf(PickleDict dict)
    {
        if (dict.Entries.Count == 0 || !dict.Entries.All(e => e.Key is string && e.Value is TorchTensor)) return null;
        return [.. dict.Entries.Select(e => ((string)e.Key!, (TorchTensor)e.Value!))];
    }

    /// <summary>Every tensor of the state dict as float32. Tensors may view one storage many times over (a stride of 0
    /// repeats an element): more than twice the elements the file's storages hold is refused, so a small file cannot make
    /// the reader allocate gigabytes.</summary>
    private static List<NamedTensor> MaterialiseAll(List<(string Name, TorchTensor Tensor)> stateDict, Func<TorchStorage, byte[]> bytesOf, string path,
        Action<string>? note)
    {
        // Integer and boolean buffers (BatchNorm's num_batches_tracked) are no weights: left out, said in a note; a model
        // that needs one names it as missing.
        var buffers = stateDict.Where(t => !IsFloat(t.Tensor.Storage.Type)).Select(t => t.Name).ToList();
        if (buffers.Count > 0)
        {
            if (buffers.Count == stateDict.Count) throw new InvalidDataException($"{path}: holds no floating-point tensors, only {string.Join(", ", buffers.Take(8))}");
            note?.Invoke($"left out {buffers.Count} integer tensor(s), which are no weights: {string.Join(", ", buffers.Take(8))}{(buffers.Count > 8 ? ", ..." : "")}");
            stateDict = [.. stateDict.Where(t => IsFloat(t.Tensor.Storage.Type))];
        }
        var result = new List<NamedTensor>(stateDict.Count);
        var storageElements = new Dictionary<string, long>(StringComparer.Ordinal);
        long elements = 0;
        foreach (var (name, tensor) in stateDict)
        {
            var bytes = bytesOf(tensor.Storage);
            storageElements[tensor.Storage.Key] = bytes.Length / ElementSize(tensor.Storage.Type, path);
            long budget = 2 * storageElements.Values.Sum() + (1 << 20);
            long count = 1;
            foreach (long d in tensor.Size) count = d <= 0 ? 0 : count > long.MaxValue / 4 / d ? long.MaxValue / 4 : count * d; // saturates
            if (elements + count > budget)
                throw new InvalidDataException($"{path}: tensor '{name}' would bring the tensors read to {elements + count:N0} elements, more than twice " +
                    $"the {storageElements.Values.Sum():N0} their storages hold (views repeating a storage); not read");
            result.Add(Materialise(name, tensor, bytes, path));
            elements += count;
        }
        return result;
    }

    /// <summary>The tensor's elements as float32, in row-major order of its size, read through its strides.</summary>
    private static NamedTensor Materialise(string name, TorchTensor tensor, byte[] storageBytes, string path)
    {
        string what = $"{path}: tensor '{name}'";
        if (tensor.Size.Any(d => d < 0 || d > int.MaxValue) || tensor.Stride.Length != tensor.Size.Length || tensor.Stride.Any(s => s < 0) || tensor.Offset < 0)
            throw new InvalidDataException($"{what}: size [{string.Join(", ", tensor.Size)}], strides [{string.Join(", ", tensor.Stride)}] and offset {tensor.Offset} do not describe a tensor");
        int[] shape = [.. tensor.Size.Select(d => (int)d)];
        long count;
        try { count = NamedTensor.ElementCount(shape, what); }
        catch (ArgumentException e) { throw new InvalidDataException(e.Message); }
        var storage = tensor.Storage;
        int size = ElementSize(storage.Type, path);
        long elements = Math.Min(storage.Elements, storageBytes.Length / size - storage.Offset);
        long last;
        try { last = checked(tensor.Offset + tensor.Size.Zip(tensor.Stride, (d, s) => d == 0 ? 0 : checked((d - 1) * s)).Sum()); }
        catch (OverflowException) { last = long.MaxValue; } // past any storage
        if (count > 0 && last >= elements)
            throw new InvalidDataException($"{what}: reads element {last:N0} of a storage of {elements:N0}");
        var data = new float[count];
        long start = storage.Offset + tensor.Offset;
        if (IsRowMajor(shape, tensor.Stride))
        {
            for (long i = 0; i < count; i++) data[i] = Element(storageBytes, start + i, storage.Type, what);
            return new NamedTensor(name, shape, data);
        }
        var index = new long[shape.Length];
        for (long i = 0; i < count; i++)
        {
            long element = start;
            for (int d = 0; d < shape.Length; d++) element += index[d] * tensor.Stride[d];
            data[i] = Element(storageBytes, element, storage.Type, what);
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                if (++index[d] < shape[d]) break;
                index[d] = 0;
            }
        }
        return new NamedTensor(name, shape, data);
    }

    // Dimensions of size 1 may have any stride (torch gives them what it likes).
    private static bool IsRowMajor(int[] shape, long[] stride)
    {
        long expected = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            if (shape[d] != 1 && stride[d] != expected) return false;
            expected *= shape[d];
        }
        return true;
    }

    private static float Element(byte[] bytes, long element, string type, string what) => type switch
    {
        "FloatStorage" => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan((int)(element * 4), 4)),
        "HalfStorage" => (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan((int)(element * 2), 2)),
        "BFloat16Storage" => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan((int)(element * 2), 2)) << 16),
        "DoubleStorage" => (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan((int)(element * 8), 8)),
        _ => throw new InvalidDataException($"{what}: holds {type[..^"Storage".Length]} values, not floating-point weights"),
    };

    private static bool IsFloat(string type) => type is "FloatStorage" or "HalfStorage" or "BFloat16Storage" or "DoubleStorage";

    private static int ElementSize(string type, string path) => type switch
    {
        "DoubleStorage" or "LongStorage" or "ComplexFloatStorage" => 8,
        "FloatStorage" or "IntStorage" => 4,
        "HalfStorage" or "BFloat16Storage" or "ShortStorage" => 2,
        "ByteStorage" or "CharStorage" or "BoolStorage" or "QUInt8Storage" or "QInt8Storage" => 1,
        _ => throw new InvalidDataException($"{path}: storage type torch.{type} is not one this reader knows"),
    };

    private static MemoryStream Buffered(ZipArchiveEntry entry, string path)
    {
        // torch.save stores its entries uncompressed, so what an entry holds is in the file; a compressed one could
        // claim gigabytes from a few bytes.
        if (entry.CompressedLength != entry.Length)
            throw new InvalidDataException($"{path}: {entry.FullName} is compressed ({entry.CompressedLength:N0} bytes for {entry.Length:N0}); torch.save stores " +
                "its entries uncompressed (was the file zipped again?)");
        if (entry.Length > int.MaxValue) throw new InvalidDataException($"{path}: {entry.FullName} is over 2 GB");
        var buffer = new MemoryStream((int)entry.Length);
        try
        {
            using var data = entry.Open();
            data.CopyTo(buffer);
        }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: {entry.FullName} is damaged ({e.Message})"); }
        if (buffer.Length != entry.Length) throw new InvalidDataException($"{path}: {entry.FullName} holds {buffer.Length:N0} bytes, not the {entry.Length:N0} its header says");
        buffer.Position = 0;
        return buffer;
    }

    private static string ReadText(ZipArchiveEntry entry, string path)
    {
        using var data = Buffered(entry, path);
        return System.Text.Encoding.ASCII.GetString(data.ToArray());
    }
}
