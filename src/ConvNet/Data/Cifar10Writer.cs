// Writes a 3x32x32 dataset as one CIFAR-10 binary batch file: tiny colour datasets for tests.
namespace ConvNet.Data;

public static class Cifar10Writer
{
    public static void WriteBatch(string path, ImageDataset data)
    {
        if (data.Channels != Cifar10Reader.Channels || data.Height != Cifar10Reader.Height || data.Width != Cifar10Reader.Width)
            throw new ArgumentException($"{data.Name}: CIFAR-10 records hold 3x32x32 images, this set has {data.Channels}x{data.Height}x{data.Width}");
        if (data.ClassNames.Count > 256)
            throw new ArgumentException($"{data.Name}: CIFAR-10 labels are bytes, this set has {data.ClassNames.Count} classes");
        var records = new byte[(long)data.Count * Cifar10Reader.RecordBytes];
        for (int i = 0; i < data.Count; i++)
        {
            records[i * Cifar10Reader.RecordBytes] = (byte)data.Label(i);
            data.Image(i).CopyTo(records.AsSpan(i * Cifar10Reader.RecordBytes + 1, Cifar10Reader.ImageBytes));
        }
        File.WriteAllBytes(path, records);
    }

    /// <summary>The published file layout (five training batches split as evenly as possible, one test batch and
    /// batches.meta.txt) in <paramref name="directory"/>, readable as cifar10:DIR.</summary>
    public static void WriteSplits(string directory, DatasetSplits splits)
    {
        Directory.CreateDirectory(directory);
        int files = Cifar10Reader.TrainFiles.Count, start = 0;
        if (splits.Train.Count < files)
            throw new ArgumentException($"{splits.Train.Name}: CIFAR-10 layout needs at least {files} training images (one per batch file)");
        for (int f = 0; f < files; f++)
        {
            int end = (int)((long)splits.Train.Count * (f + 1) / files);
            var indices = Enumerable.Range(start, end - start).ToArray();
            WriteBatch(Path.Combine(directory, Cifar10Reader.TrainFiles[f]), splits.Train.Subset(indices, splits.Train.Name));
            start = end;
        }
        WriteBatch(Path.Combine(directory, Cifar10Reader.TestFile), splits.Test);
        File.WriteAllLines(Path.Combine(directory, Cifar10Reader.MetaFile), splits.Train.ClassNames);
    }
}
