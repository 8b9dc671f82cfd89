// Reads a packed cache file (PackedImageFile) through a read-only memory map: a read is one copy of 3*Size*Size bytes,
// and the operating system's page cache keeps hot images in memory across epochs and processes.
using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;

namespace ConvNet.Data.Images;

public sealed unsafe class PackedImageStore : IImageStore, IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly int[] _labels;
    private readonly long _dataOffset;
    private readonly string _path;

    public PackedImageStore(string path, string name, IReadOnlyList<string> classNames)
    {
        if (!File.Exists(path)) throw new DataException($"{path}: packed cache file not found");
        _path = path;
        long length = new FileInfo(path).Length;
        var header = new byte[PackedImageFile.HeaderBytes];
        using (var stream = File.OpenRead(path))
        {
            if (stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length)
                throw new DataException($"{path}: too short to be a packed image cache");
        }
        (int count, Size, _dataOffset) = PackedImageFile.Parse(header, length, path);
        (Name, ClassNames) = (name, classNames);
        _map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _base = pointer + _view.PointerOffset;
        _labels = new int[count];
        var labelBytes = new ReadOnlySpan<byte>(_base + PackedImageFile.HeaderBytes, 4 * count);
        for (int i = 0; i < count; i++)
        {
            _labels[i] = BinaryPrimitives.ReadInt32LittleEndian(labelBytes[(4 * i)..]);
            if ((uint)_labels[i] >= (uint)classNames.Count)
                throw new DataException($"{path}: label {_labels[i]} of image {i} is outside 0..{classNames.Count - 1}");
        }
    }

    public string Name { get; }
    /// <summary>The ImageFingerprint of the images packed into this file, as cache.json records it (null in caches made
    /// before it was recorded).</summary>
    public string? SourceFingerprint { get; init; }
    public int Count => _labels.Length;
    public int Size { get; }
    public IReadOnlyList<string> ClassNames { get; }
    public int Label(int index) => _labels[index];
    public string Describe(int index) => PackedImageFile.Describe(_path, index);

    public void Read(int index, Span<byte> chw)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"{Name} has {Count} images");
        int bytes = 3 * Size * Size;
        new ReadOnlySpan<byte>(_base + _dataOffset + (long)index * bytes, bytes).CopyTo(chw);
    }

    private bool _disposed;

    /// <summary>Unmaps the file; safe to call more than once (a store may be shared by a training and a validation view).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
