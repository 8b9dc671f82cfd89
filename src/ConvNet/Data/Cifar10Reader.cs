// Reads the CIFAR-10 binary version: each file is a run of 3073-byte records, one label byte then 3072 pixel bytes
// (1024 red, 1024 green, 1024 blue, each 32x32 row-major), which is already the C, H, W order of ImageDataset.
namespace ConvNet.Data;

public static class Cifar10Reader
{
    public const int Channels = 3, Height = 32, Width = 32;
    public const int ImageBytes = Channels * Height * Width; // 3072
    public const int RecordBytes = 1 + ImageBytes;           // 3073

    public static IReadOnlyList<string> TrainFiles { get; } =
        ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];
    public const string TestFile = "test_batch.bin";
    public const string MetaFile = "batches.meta.txt";

    /// <summary>
    /// The training batches and the test batch in <paramref name="directory"/> (or in its cifar-10-batches-bin
    /// sub-folder, where the published archive unpacks). Class names come from batches.meta.txt when present.
    /// </summary>
    /// <param name="parts">the part left out comes back empty (DatasetSpec.LoadSplit)</param>
    public static DatasetSplits ReadDirectory(string directory, DatasetSpec.IdxParts parts = DatasetSpec.IdxParts.Both)
    {
        if (!Directory.Exists(directory))
            throw new DataException($"cifar10: dataset directory not found: {directory}{IO.FolderPath.WrongKind(directory, wantFolder: true)}");
        string nested = Path.Combine(directory, "cifar-10-batches-bin");
        string first = parts == DatasetSpec.IdxParts.Test ? TestFile : TrainFiles[0];
        if (!File.Exists(Path.Combine(directory, first)) && File.Exists(Path.Combine(nested, first)))
            directory = nested;
        var classNames = ReadClassNames(Path.Combine(directory, MetaFile)) ?? ClassNames.Cifar10;
        var train = parts == DatasetSpec.IdxParts.Test ? ImageDataset.Empty("cifar10 train", Channels, Height, Width, classNames)
            : ReadFiles(TrainFiles.Select(f => Path.Combine(directory, f)).ToArray(), "cifar10 train", classNames);
        var test = parts == DatasetSpec.IdxParts.Train ? ImageDataset.Empty("cifar10 test", Channels, Height, Width, classNames)
            : ReadFiles([Path.Combine(directory, TestFile)], "cifar10 test", classNames);
        return new DatasetSplits(train, test);
    }

    /// <summary>Concatenates the records of <paramref name="paths"/> into one dataset.</summary>
    public static ImageDataset ReadFiles(IReadOnlyList<string> paths, string name, IReadOnlyList<string> classNames)
    {
        var lengths = new long[paths.Count];
        for (int f = 0; f < paths.Count; f++)
        {
            string path = paths[f];
            if (!File.Exists(path))
                throw new DataException($"{path}: file not found (CIFAR-10 binary version expected: {string.Join(", ", TrainFiles)}, {TestFile})");
            lengths[f] = new FileInfo(path).Length;
            if (lengths[f] == 0 || lengths[f] % RecordBytes != 0)
                throw new DataException($"{path}: length {lengths[f]} is not a positive multiple of the {RecordBytes}-byte CIFAR-10 record (1 label byte + {ImageBytes} pixel bytes)");
        }
        long total = lengths.Sum() / RecordBytes;
        if (total * ImageBytes > Array.MaxLength)
            throw new DataException($"{name}: {total} images are too many to hold in memory as one set");
        var pixels = GC.AllocateUninitializedArray<byte>((int)(total * ImageBytes));
        var labels = new int[total];
        int image = 0;
        for (int f = 0; f < paths.Count; f++)
        {
            byte[] records = IdxReader.Guarded(paths[f], () => File.ReadAllBytes(paths[f]));
            if (records.Length != lengths[f])
                throw new DataException($"{paths[f]}: changed size while being read");
            for (int r = 0; r < records.Length / RecordBytes; r++, image++)
            {
                int label = records[r * RecordBytes];
                if (label >= classNames.Count)
                    throw new DataException($"{paths[f]}: label {label} of record {r} is outside 0..{classNames.Count - 1}");
                labels[image] = label;
                records.AsSpan(r * RecordBytes + 1, ImageBytes).CopyTo(pixels.AsSpan(image * ImageBytes, ImageBytes));
            }
        }
        return new ImageDataset(name, Channels, Height, Width, pixels, labels, classNames);
    }

    /// <summary>batches.meta.txt: one class name per line (blank lines ignored); null when the file is absent.</summary>
    public static IReadOnlyList<string>? ReadClassNames(string path)
    {
        if (!File.Exists(path)) return null;
        string[] names = IdxReader.Guarded(path, () => File.ReadAllLines(path))
            .Select(line => line.Trim()).Where(line => line.Length > 0).ToArray();
        if (names.Length == 0)
            throw new DataException($"{path}: holds no class names");
        return names;
    }
}
