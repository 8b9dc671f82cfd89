// The packed cache's file format: decoded Size x Size RGB squares (CHW bytes) back to back after a small header and
// a label index, so epochs after the first read bytes instead of decoding JPEGs. All integers little-endian:
//   0  "CNVPACK1" (8 bytes)   8  int32 version (1)   12 int32 count   16 int32 channels (3)   20 int32 size
//   24 int64 offset of the first image (a multiple of 4096)   32 int32 labels[count]   ... images[count][3][size][size]
using System.Buffers.Binary;
using System.Text;

namespace ConvNet.Data.Images;

public static class PackedImageFile
{
    public static ReadOnlySpan<byte> Magic => "CNVPACK1"u8;
    public const int Version = 1;
    public const int HeaderBytes = 32;

    public static long DataOffset(int count) => (HeaderBytes + 4L * count + 4095) / 4096 * 4096;

    public static byte[] Header(int count, int size)
    {
        var header = new byte[HeaderBytes];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), Version);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), count);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(16), 3);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(20), size);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(24), DataOffset(count));
        return header;
    }

    /// <summary>Checks a header against the file's length; returns (count, size, dataOffset).</summary>
    public static (int Count, int Size, long DataOffset) Parse(ReadOnlySpan<byte> header, long fileLength, string path)
    {
        if (header.Length < HeaderBytes || !header[..8].SequenceEqual(Magic))
            throw new DataException($"{path}: not a packed image cache (bad magic; make one with 'convnet prepare')");
        int version = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        if (version != Version) throw new DataException($"{path}: packed cache version {version} is not supported (expected {Version})");
        int count = BinaryPrimitives.ReadInt32LittleEndian(header[12..]);
        int channels = BinaryPrimitives.ReadInt32LittleEndian(header[16..]);
        int size = BinaryPrimitives.ReadInt32LittleEndian(header[20..]);
        long offset = BinaryPrimitives.ReadInt64LittleEndian(header[24..]);
        if (count < 0 || channels != 3 || size <= 0 || size > 4096 || offset != DataOffset(count))
            throw new DataException($"{path}: corrupt packed cache header (count {count}, channels {channels}, size {size}, offset {offset})");
        long expected = offset + (long)count * 3 * size * size;
        if (fileLength != expected)
            throw new DataException($"{path}: is {fileLength} bytes, its header describes {expected} (truncated or half-written cache)");
        return (count, size, offset);
    }

    internal static string Describe(string path, int index) => new StringBuilder(path).Append('#').Append(index).ToString();
}
