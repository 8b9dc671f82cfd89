// The safetensors format: an 8-byte little-endian header length, a UTF-8 JSON header
// { name: { "dtype", "shape", "data_offsets": [begin, end] }, "__metadata__": { string: string } },
// then the raw little-endian data (offsets relative to its start). We write F32 and read F32, F16 and BF16.
// Every number in a file is checked before it is used, so a damaged file gives a message, never a crash.
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace ConvNet.Interop;

public sealed record SafeTensorsContent(IReadOnlyList<NamedTensor> Tensors, IReadOnlyDictionary<string, string> Metadata);

public static class SafeTensorsFile
{
    public const string MetadataKey = "__metadata__";
    /// <summary>Headers above this are refused (the reference implementation's limit is 100 MB too).</summary>
    private const long MaxHeaderBytes = 100_000_000;

    /// <summary>Checks every tensor and metadata value, then writes through a temporary file renamed into place: a
    /// refused tensor or a failed write (a full disk) leaves an older file under <paramref name="path"/> intact and no
    /// new one.</summary>
    /// <exception cref="ArgumentException">a tensor's shape does not hold its data, a name is reserved or used twice,
    /// or a metadata value is null</exception>
    public static void Write(string path, IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] header = BuildHeader(tensors, metadata);
        IO.AtomicFile.Write(path, s => WriteContent(s, header, tensors));
    }

    public static void Write(Stream stream, IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        WriteContent(stream, BuildHeader(tensors, metadata), tensors);
    }

    private static void WriteContent(Stream stream, byte[] header, IReadOnlyList<NamedTensor> tensors)
    {
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        foreach (var t in tensors) WriteFloats(stream, t.Data);
        stream.Flush();
    }

    private static byte[] BuildHeader(IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        // The format's metadata values are strings: a null was written as JSON null, which Read then refused.
        if (metadata?.FirstOrDefault(m => m.Value is null) is { Key: { } nullKey })
            throw new ArgumentException($"safetensors: metadata '{nullKey}' has a null value; metadata values are strings", nameof(metadata));
        for (int i = 0; i < tensors.Count; i++)
            if (tensors[i] is null) throw new ArgumentException($"safetensors: tensors[{i}] is null", nameof(tensors));
        var names = new HashSet<string>(StringComparer.Ordinal);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in tensors)
            {
                if (t.Name == MetadataKey || !names.Add(t.Name))
                    throw new ArgumentException($"safetensors: tensor name '{t.Name}' is reserved or used twice");
                if (NamedTensor.ElementCount(t.Shape, $"safetensors: tensor {t.Name}") != t.Data.Length)
                    throw new ArgumentException($"safetensors: tensor {t.Name} has shape [{string.Join(", ", t.Shape)}] but {t.Data.Length} elements");
                json.WriteStartObject(t.Name);
                json.WriteString("dtype", "F32");
                json.WriteStartArray("shape");
                foreach (int d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += 4L * t.Data.Length;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        // Pad with spaces so the data starts 8-byte aligned (8-byte length prefix + header).
        int padded = (int)((buffer.Length + 7) / 8 * 8);
        while (buffer.Length < padded) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    private static void WriteFloats(Stream stream, float[] data)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(data.AsSpan()));
            return;
        }
        var bytes = new byte[4 * data.Length];
        for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), data[i]);
        stream.Write(bytes);
    }

    /// <exception cref="FileNotFoundException">no such file, or a folder in its place (the message says which)</exception>
    /// <exception cref="InvalidDataException">the file cannot be opened or is not valid safetensors (the message says why)</exception>
    public static SafeTensorsContent Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        IO.InputFile.RequireNotFolder(path, "a .safetensors file");
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        }
        catch (Exception e) when (IO.MissingFile.Is(e))
        {
            throw IO.MissingFile.Named(path, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{path}: cannot open: {e.Message}", e);
        }
        using (stream) return Read(stream, path);
    }

    /// <param name="source">names the data in error messages (a file path)</param>
    public static SafeTensorsContent Read(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(source);
        long fileLength = stream.Length;
        if (fileLength < 8) throw Bad(source, $"file is {fileLength} bytes, too short for the 8-byte header length");
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.Position = 0;
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)(fileLength - 8))
            throw Bad(source, $"header length {headerLength} runs past the end of the {fileLength}-byte file");
        if (headerLength > MaxHeaderBytes) throw Bad(source, $"header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit");
        var header = new byte[headerLength];
        stream.ReadExactly(header);
        long dataStart = 8 + (long)headerLength, dataLength = fileLength - dataStart;

        var (entries, metadata) = ParseHeader(header, source);
        CheckOffsets(entries, dataLength, source);

        var tensors = new List<NamedTensor>(entries.Count);
        foreach (var e in entries)
        {
            var raw = new byte[e.End - e.Begin];
            stream.Position = dataStart + e.Begin;
            stream.ReadExactly(raw);
            tensors.Add(new NamedTensor(e.Name, e.Shape, Decode(raw, e.DType)));
        }
        return new SafeTensorsContent(tensors, metadata);
    }

    private sealed record Entry(string Name, string DType, int[] Shape, long Begin, long End);

    private static int DTypeSize(string dtype) => dtype switch { "F32" => 4, "F16" or "BF16" => 2, _ => 0 };

    private static (List<Entry>, Dictionary<string, string>) ParseHeader(byte[] header, string source)
    {
        // The format's header is UTF-8 JSON; the JSON reader leaves invalid UTF-8 inside strings to be found when a
        // name or value is read (an InvalidOperationException there), so it is refused here first.
        if (!System.Text.Unicode.Utf8.IsValid(header)) throw Bad(source, "header is not valid UTF-8");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw Bad(source, $"header is not valid JSON: {e.Message}");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Bad(source, $"header is a JSON {root.ValueKind}, expected an object");
            var entries = new List<Entry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                if (!seen.Add(property.Name)) throw Bad(source, $"header names '{property.Name}' twice");
                if (property.Name == MetadataKey)
                {
                    if (property.Value.ValueKind != JsonValueKind.Object) throw Bad(source, $"{MetadataKey} must be an object of strings");
                    foreach (var m in property.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String) throw Bad(source, $"{MetadataKey} value '{m.Name}' is not a string");
                        // A key twice would leave which value counts to the reader (the last, here): refused, as names are.
                        if (!metadata.TryAdd(m.Name, m.Value.GetString()!)) throw Bad(source, $"{MetadataKey} names '{m.Name}' twice");
                    }
                    continue;
                }
                entries.Add(ParseEntry(property, source));
            }
            return (entries, metadata);
        }
    }

    private static Entry ParseEntry(JsonProperty property, string source)
    {
        string name = property.Name;
        var value = property.Value;
        if (value.ValueKind != JsonValueKind.Object) throw Bad(source, $"tensor '{name}': entry is not an object");
        var fields = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in value.EnumerateObject())
            if (!fields.Add(field.Name)) throw Bad(source, $"tensor '{name}': entry names \"{field.Name}\" twice");
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Bad(source, $"tensor '{name}': missing or non-string \"dtype\"");
        string dtype = dtypeElement.GetString()!;
        if (DTypeSize(dtype) == 0)
            throw Bad(source, $"tensor '{name}': dtype {dtype} is not supported (F32, F16 and BF16 are)");
        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw Bad(source, $"tensor '{name}': missing or non-array \"shape\"");
        var shape = new int[shapeElement.GetArrayLength()];
        int i = 0;
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out shape[i]) || shape[i] < 0)
                throw Bad(source, $"tensor '{name}': shape entry {d.GetRawText()} is not a non-negative 32-bit integer");
            i++;
        }
        if (!value.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array
            || offsetsElement.GetArrayLength() != 2)
            throw Bad(source, $"tensor '{name}': missing \"data_offsets\" [begin, end]");
        var offsets = new long[2];
        i = 0;
        foreach (var o in offsetsElement.EnumerateArray())
        {
            if (o.ValueKind != JsonValueKind.Number || !o.TryGetInt64(out offsets[i]) || offsets[i] < 0)
                throw Bad(source, $"tensor '{name}': data offset {o.GetRawText()} is not a non-negative integer");
            i++;
        }
        if (offsets[1] < offsets[0]) throw Bad(source, $"tensor '{name}': data_offsets [{offsets[0]}, {offsets[1]}] end before they begin");
        // A 0 anywhere holds nothing: [65536, 65536, 0] is an empty tensor, though its running product passes the limit first.
        long elements = shape.Contains(0) ? 0 : 1;
        foreach (int d in shape)
        {
            if (elements == 0) break;
            elements *= d;
            if (elements > int.MaxValue) throw Bad(source, $"tensor '{name}': shape [{string.Join(", ", shape)}] has more than {int.MaxValue} elements");
        }
        long expected = elements * DTypeSize(dtype);
        if (offsets[1] - offsets[0] != expected)
            throw Bad(source, $"tensor '{name}': {dtype} shape [{string.Join(", ", shape)}] needs {expected} bytes but data_offsets " +
                $"[{offsets[0]}, {offsets[1]}] hold {offsets[1] - offsets[0]}");
        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
    }

    // The format's rule, which the reference reader enforces too: in offset order the tensors tile the data section
    // exactly, from its first byte to its last. A gap, or bytes after the last tensor, is data no tensor names: room
    // for a second file hidden in this one (a polyglot), or offsets that are wrong.
    private static void CheckOffsets(List<Entry> entries, long dataLength, string source)
    {
        foreach (var e in entries)
            if (e.End > dataLength)
                throw Bad(source, $"tensor '{e.Name}': data_offsets [{e.Begin}, {e.End}] run past the {dataLength}-byte data section");
        long covered = 0;
        Entry? previous = null;
        foreach (var e in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (e.Begin < covered)
                throw Bad(source, $"tensors '{previous!.Name}' [{previous.Begin}, {previous.End}] and '{e.Name}' [{e.Begin}, {e.End}] overlap");
            if (e.Begin > covered)
                throw Bad(source, previous is null
                    ? $"tensor '{e.Name}': data_offsets [{e.Begin}, {e.End}] leave the data section's first {e.Begin} bytes to no tensor " +
                      "(safetensors data has no gaps: the first tensor begins at 0)"
                    : $"tensors '{previous.Name}' [{previous.Begin}, {previous.End}] and '{e.Name}' [{e.Begin}, {e.End}] leave a gap of " +
                      $"{e.Begin - covered} bytes that belong to no tensor (safetensors data has no gaps)");
            covered = e.End;
            previous = e;
        }
        if (covered != dataLength)
            throw Bad(source, $"{dataLength - covered} bytes after the last tensor" + (previous is null ? "" : $" ('{previous.Name}' ends at {covered})") +
                $" belong to no tensor (the data section is {dataLength} bytes; safetensors data ends where its last tensor does)");
    }

    private static float[] Decode(byte[] raw, string dtype)
    {
        switch (dtype)
        {
            case "F32":
            {
                var values = new float[raw.Length / 4];
                if (BitConverter.IsLittleEndian) raw.AsSpan().CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
                else for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw.AsSpan(4 * i));
                return values;
            }
            case "F16":
            {
                var values = new float[raw.Length / 2];
                for (int i = 0; i < values.Length; i++) values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(raw.AsSpan(2 * i));
                return values;
            }
            case "BF16":
            {
                // bfloat16 is the top half of a float32.
                var values = new float[raw.Length / 2];
                for (int i = 0; i < values.Length; i++)
                    values[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(2 * i)) << 16);
                return values;
            }
            default:
                throw new InvalidOperationException($"dtype {dtype} passed validation but has no decoder");
        }
    }

    private static InvalidDataException Bad(string source, string problem) => new($"{source}: {problem}");
}
