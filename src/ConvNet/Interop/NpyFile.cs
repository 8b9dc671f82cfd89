// NumPy's .npy format for float32 arrays: magic "\x93NUMPY", version byte pair, a little-endian header length
// (2 bytes in 1.0, 4 in 2.0/3.0), a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (..)}
// padded so the data starts on a 64-byte boundary, then the elements in C (row-major) order.
// We write '<f4' C-order files and read only those, checking every field first.
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace ConvNet.Interop;

/// <param name="Shape">outermost first; [] for a scalar</param><param name="Data">row-major elements</param>
public sealed record NpyArray(int[] Shape, float[] Data);

public static class NpyFile
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Writes through a temporary file renamed into place: a failure (a full disk) leaves no truncated .npy
    /// under <paramref name="path"/>, and an older file there intact.</summary>
    public static void Write(string path, int[] shape, ReadOnlySpan<float> data)
    {
        ArgumentNullException.ThrowIfNull(path);
        RequireHolds(shape, data.Length); // before the file is touched
        using var pending = IO.AtomicFile.Begin(path);
        try
        {
            Write(pending.Stream, shape, data);
            pending.Commit();
        }
        catch (Exception e) when (pending.NamesTemporaryFile(e))
        {
            throw pending.Named(e);
        }
    }

    public static void Write(Stream stream, int[] shape, ReadOnlySpan<float> data)
    {
        ArgumentNullException.ThrowIfNull(stream);
        RequireHolds(shape, data.Length);
        WriteHeader(stream, shape);
        WriteElements(stream, data);
        stream.Flush();
    }

    /// <summary>The header of a '&lt;f4' C-order array of <paramref name="shape"/>; the caller then writes exactly
    /// that many elements with <see cref="WriteElements"/> (so a large array can be streamed a block at a time).</summary>
    private static void RequireHolds(int[] shape, int elements)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (NamedTensor.ElementCount(shape, ".npy") != elements)
            throw new ArgumentException($".npy: shape ({string.Join(", ", shape)}) does not hold {elements} elements");
    }

    public static void WriteHeader(Stream stream, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(shape);
        // Negative dimensions and counts past int.MaxValue refused (a wrapped count used to pass as 0 elements).
        NamedTensor.ElementCount(shape, ".npy");
        // A one-element tuple needs its trailing comma in Python: (5,).
        string tuple = shape.Length == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape)})";
        string dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': {tuple}, }}";
        bool wide = dict.Length + 1 + 10 > ushort.MaxValue;
        int prefix = Magic.Length + 2 + (wide ? 4 : 2);
        int total = (prefix + dict.Length + 1 + 63) / 64 * 64;
        string header = dict.PadRight(total - prefix - 1) + "\n";

        stream.Write(Magic);
        stream.WriteByte(wide ? (byte)2 : (byte)1);
        stream.WriteByte(0);
        Span<byte> length = stackalloc byte[4];
        if (wide) BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)header.Length);
        else BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        stream.Write(length[..(wide ? 4 : 2)]);
        stream.Write(Encoding.ASCII.GetBytes(header));
    }

    /// <summary>Elements in little-endian float32, after <see cref="WriteHeader"/>.</summary>
    public static void WriteElements(Stream stream, ReadOnlySpan<float> data)
    {
        if (BitConverter.IsLittleEndian) stream.Write(MemoryMarshal.AsBytes(data));
        else
        {
            var bytes = new byte[4 * data.Length];
            for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), data[i]);
            stream.Write(bytes);
        }
    }

    /// <exception cref="FileNotFoundException">no such file, or a folder in its place (the message says which)</exception>
    /// <exception cref="InvalidDataException">the file cannot be read or is not a float32 .npy array (the message says why)</exception>
    public static NpyArray Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Read(IO.InputFile.ReadNamedFile(path, "a .npy file"), path);
    }

    /// <param name="source">names the data in error messages (a file path)</param>
    public static NpyArray Read(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.Length < Magic.Length + 4 || !bytes[..Magic.Length].SequenceEqual(Magic))
            throw Bad(source, "not a .npy file (missing the \\x93NUMPY magic)");
        byte major = bytes[6], minor = bytes[7];
        if (major is not (1 or 2 or 3) || minor != 0)
            throw Bad(source, $".npy version {major}.{minor} is not supported (1.0, 2.0 and 3.0 are)");
        int lengthSize = major == 1 ? 2 : 4;
        if (bytes.Length < 8 + lengthSize) throw Bad(source, "file ends inside the header length");
        long headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]) : BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
        long dataStart = 8 + lengthSize + headerLength;
        if (dataStart > bytes.Length) throw Bad(source, $"header length {headerLength} runs past the end of the {bytes.Length}-byte file");
        var headerBytes = bytes[(8 + lengthSize)..(int)dataStart];
        string header;
        try
        {
            header = (major == 3 ? new UTF8Encoding(false, true) : (Encoding)Encoding.GetEncoding("us-ascii",
                EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback)).GetString(headerBytes);
        }
        catch (DecoderFallbackException)
        {
            throw Bad(source, $"header is not valid {(major == 3 ? "UTF-8" : "ASCII")} text");
        }

        var dict = NpyHeader.Parse(header, source);
        if (!dict.TryGetValue("descr", out var descr) || descr is not string dtype)
            throw Bad(source, "header has no 'descr' string");
        if (dtype != "<f4")
            throw Bad(source, $"dtype '{dtype}' is not supported: only little-endian float32 ('<f4') is (convert with arr.astype('<f4'))");
        if (!dict.TryGetValue("fortran_order", out var fortran) || fortran is not bool isFortran)
            throw Bad(source, "header has no 'fortran_order' True/False");
        if (isFortran) throw Bad(source, "Fortran (column-major) order is not supported: save a C-order array (np.ascontiguousarray)");
        if (!dict.TryGetValue("shape", out var shapeValue) || shapeValue is not long[] dims)
            throw Bad(source, "header has no 'shape' tuple");
        var extra = dict.Keys.Except(["descr", "fortran_order", "shape"]).ToList();
        if (extra.Count > 0) throw Bad(source, $"header has unexpected keys: {string.Join(", ", extra)}");

        long count = 1;
        var shape = new int[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] < 0 || dims[i] > int.MaxValue) throw Bad(source, $"shape dimension {dims[i]} is out of range");
            shape[i] = (int)dims[i];
            count *= dims[i];
            if (count > int.MaxValue / 4) throw Bad(source, $"shape ({string.Join(", ", dims)}) is too large");
        }
        long available = bytes.Length - dataStart;
        if (available != 4 * count)
            throw Bad(source, $"shape ({string.Join(", ", dims)}) needs {4 * count} bytes of float32 data, the file has {available}");

        var data = new float[count];
        var raw = bytes[(int)dataStart..];
        if (BitConverter.IsLittleEndian) raw.CopyTo(MemoryMarshal.AsBytes(data.AsSpan()));
        else for (int i = 0; i < data.Length; i++) data[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..]);
        return new NpyArray(shape, data);
    }

    private static InvalidDataException Bad(string source, string problem) => new($"{source}: {problem}");
}
