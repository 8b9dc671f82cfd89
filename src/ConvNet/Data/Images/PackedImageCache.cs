// `convnet prepare`'s output: a folder with train.pack (and val.pack when the data has a validation split) in the
// PackedImageFile format, plus cache.json (class names, source, counts, the files skipped as unreadable). Writing
// decodes in parallel chunks and appends the good images in order; the file appears atomically when complete.
// cache.json also records each split's ImageFingerprint (the source files packed), so a run resumed on a cache made
// again from other images is refused rather than trained on them.
using System.Buffers.Binary;
using System.Text.Json;

namespace ConvNet.Data.Images;

/// <param name="Images">each split's ImageFingerprint of the images packed (null in caches made before it was recorded)</param>
public sealed record PackedCacheInfo(int Format, string Source, int Size, string[] ClassNames, Dictionary<string, int> Splits, List<SkippedImage> Skipped,
    Dictionary<string, string>? Images = null);

public static class PackedImageCache
{
    public const string InfoFile = "cache.json";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>The lock file a cache folder holds while it is written (one writer at a time).</summary>
    public const string LockFile = ".prepare.lock";

    /// <summary>Decodes every image of a folder: or list: spec once and writes the cache into <paramref name="directory"/>.
    /// The packs are written beside any cache already there and replace it only once all of them are written and the
    /// data is found trainable: a prepare that fails or is stopped leaves that cache as it was, and one that fails
    /// removes the folder when it made it.</summary>
    /// <param name="replace">false: a cache already in the folder is refused (checked under the folder's lock)</param>
    /// <exception cref="IOException">another process is writing a cache into the folder; or a cache is there and
    /// <paramref name="replace"/> is false</exception>
    public static PackedCacheInfo Write(string spec, string directory, int threads, Action<string>? report = null, bool replace = true)
    {
        if (spec.StartsWith("cache:", StringComparison.Ordinal)) throw new DataException($"'{spec}' is already a cache; prepare reads folder: or list: data");
        var splits = ImageDataSpec.Open(spec);
        // What training refuses from the listing alone (one class, a class folder with no files), refused before hours
        // of decoding, as train refuses it; a class left empty by unreadable files is only known after.
        ImageDataSpec.RequireTrainable(spec, splits.Train);
        bool created = !Directory.Exists(directory);
        string? firstMade = IO.FolderPath.OutermostMissing(directory); // goes with it when it fails
        FileStream? writing;
        try
        {
            Directory.CreateDirectory(directory);
            // Two prepares into one folder wrote the same packs at once: both said done with one's cache silently the
            // other's, or both failed and left the folder empty.
            writing = IO.FolderLock.TryTake(Path.Combine(directory, LockFile));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // .NET named only the folder or the lock file: "Read-only file system : '/mnt/.prepare.lock'".
            if (created) IO.FolderPath.RemoveFolderMade(directory, firstMade);
            throw new IOException($"{directory}: cannot write a cache there ({IO.SystemMessage.WhyNotCreated(e)})", e);
        }
        if (writing is null)
            throw new IOException($"{directory}: another convnet prepare is writing a cache there; wait for it to finish, or choose another folder");
        // Stopped by Ctrl+C (no finally runs): a folder this prepare made goes once its packs' temporary files have.
        using var interrupted = created ? IO.AtomicFile.TrackNewFolder(directory, LockFile) : null;
        try
        {
            // What a killed prepare was writing (a pack's .NAME.PID.tmp) stayed for good, and took the disk the next needed.
            // Only its own names: the folder may be any folder, with other programs' temporary files in it.
            foreach (string name in new[] { Path.GetFileName(Staged(directory, "train")), Path.GetFileName(Staged(directory, "val")), InfoFile })
                IO.AtomicFile.RemoveAbandoned(directory, name);
            return Write(spec, splits, directory, threads, report, replace);
        }
        catch when (created)
        {
            // Nothing usable is in a folder this prepare made (only its lock): it goes, as a failed train's run folder.
            writing.Dispose();
            IO.FolderPath.RemoveFolderMade(directory, firstMade);
            throw;
        }
        finally
        {
            writing.Dispose();
        }
    }

    // The new packs are written as .NAME.pack.new (deleted by an interrupt too: AtomicFile.DeleteUnfinished) and moved
    // over the old ones at the end.
    private static string Staged(string directory, string split) => Path.Combine(directory, $".{split}.pack.new");

    private static PackedCacheInfo Write(string spec, ImageSplits splits, string directory, int threads, Action<string>? report, bool replace)
    {
        if (!replace && File.Exists(Path.Combine(directory, InfoFile)))
            throw new IOException($"{directory}: already holds a cache ({InfoFile}); choose another folder, or replace it");
        var skipped = new List<SkippedImage>();
        var counts = new Dictionary<string, int>();
        var fingerprints = new Dictionary<string, string>();
        var stores = new[] { ("train", splits.Train), ("val", splits.Validation) };
        var staged = stores.Select(s => IO.AtomicFile.Track(Staged(directory, s.Item1))).ToList();
        try
        {
            foreach (var (name, store) in stores)
            {
                if (store is null) continue;
                var good = WriteSplit(store, Staged(directory, name), threads, skipped, report);
                var written = new SubsetImageStore(store, good, store.Name);
                if (name == "train")
                {
                    // A class whose files are all unreadable, refused before the cache says it is ready.
                    try
                    {
                        ImageDataSpec.RequireTrainable(spec, written, skipped.Count > 0 ? $"{skipped.Count} unreadable images skipped" : null);
                    }
                    catch (DataException)
                    {
                        foreach (var s in skipped) report?.Invoke($"skipped {Diagnostics.PrintableText.Of(s.Path)}: {s.Reason}");
                        throw;
                    }
                }
                counts[name] = good.Count;
                fingerprints[name] = ImageFingerprint.Of([written]);
                report?.Invoke(FormattableString.Invariant($"{name}: {counts[name]:N0} images written to {Path.Combine(directory, name + ".pack")}"));
            }
            foreach (var s in skipped) report?.Invoke($"skipped {Diagnostics.PrintableText.Of(s.Path)}: {s.Reason}");
            if (skipped.Count > 0) report?.Invoke($"skipped {skipped.Count} unreadable images");
            // As runs record their data: absolute, so the source is found from any folder.
            var info = new PackedCacheInfo(1, DatasetSpec.WithAbsolutePaths(spec), splits.Train.Size, [.. splits.Train.ClassNames], counts, skipped, fingerprints);
            // The old cache stops being one first: between here and the new cache.json the folder holds no cache,
            // never one whose cache.json names packs that were replaced.
            File.Delete(Path.Combine(directory, InfoFile));
            foreach (var (name, store) in stores)
            {
                string pack = Path.Combine(directory, name + ".pack");
                // A split this data lacks must not survive from an earlier prepare into the same folder.
                if (store is null) File.Delete(pack);
                else File.Move(Staged(directory, name), pack, overwrite: true);
            }
            IO.AtomicFile.WriteAllText(Path.Combine(directory, InfoFile), JsonSerializer.Serialize(info, Json), followLinks: false);
            return info;
        }
        finally
        {
            foreach (var (name, _) in stores) File.Delete(Staged(directory, name));
            foreach (var tracked in staged) tracked.Dispose();
        }
    }

    public static ImageSplits Open(string directory)
    {
        var (info, infoPath) = ReadInfo(directory);
        var train = OpenSplit(directory, "train", info, infoPath);
        // Only the splits cache.json lists belong to this cache (a stray val.pack from an older prepare does not).
        var validation = info.Splits.ContainsKey("val") ? OpenSplit(directory, "val", info, infoPath) : null;
        return new ImageSplits(train, validation, info.Skipped ?? []);
    }

    /// <summary>Whether the cache in <paramref name="directory"/> lists a val split; false when there is no readable cache.</summary>
    public static bool ListsValidation(string directory)
    {
        try { return ReadInfo(directory).Info.Splits.ContainsKey("val"); }
        catch (Exception e) when (e is DataException or IOException or UnauthorizedAccessException) { return false; }
    }

    private static (PackedCacheInfo Info, string Path) ReadInfo(string directory)
    {
        string infoPath = Path.Combine(directory, InfoFile);
        if (!File.Exists(infoPath)) throw new DataException($"cache:{directory}: {infoPath} not found (make the cache with `convnet prepare --data folder:DIR --out {IO.ShellQuote.Word(directory)}`)");
        PackedCacheInfo info;
        try
        {
            info = JsonSerializer.Deserialize<PackedCacheInfo>(IO.InputFile.ReadAllText(infoPath, IO.InputFile.MaxSmallTextBytes), Json) ?? throw new DataException($"{infoPath}: empty");
        }
        catch (JsonException e)
        {
            throw new DataException($"{infoPath}: not a valid cache description ({e.Message})");
        }
        if (info.Format != 1 || info.ClassNames is not { Length: > 0 }) throw new DataException($"{infoPath}: unsupported cache format {info.Format} or no class names");
        if (info.Splits is null || !info.Splits.ContainsKey("train")) throw new DataException($"{infoPath}: lists no train split");
        return (info, infoPath);
    }

    private static PackedImageStore OpenSplit(string directory, string name, PackedCacheInfo info, string infoPath)
    {
        string path = Path.Combine(directory, name + ".pack");
        if (!File.Exists(path)) throw new DataException($"cache:{directory}: {path} not found, but {infoPath} lists it");
        var store = new PackedImageStore(path, $"cache:{directory} {name}", info.ClassNames) { SourceFingerprint = info.Images?.GetValueOrDefault(name) };
        if (store.Count != info.Splits[name])
        {
            int count = store.Count;
            store.Dispose();
            throw new DataException($"{path}: holds {count} images but {infoPath} says {info.Splits[name]} (prepare the cache again)");
        }
        return store;
    }

    // Returns the indices of the images written (the readable ones), in order.
    private static List<int> WriteSplit(IImageStore store, string path, int threads, List<SkippedImage> skipped, Action<string>? report)
    {
        // 32 images a thread keeps every thread busy; at most 1,024 in memory at once (200 MB of 256-pixel squares),
        // whatever --threads says.
        int imageBytes = 3 * store.Size * store.Size, chunk = Math.Min(Math.Max(1, threads) * 32, 1024);
        var good = new List<int>();
        var buffers = new byte[chunk][];
        var reasons = new string?[chunk];
        var labels = new List<int>();
        string imagesTemp = path + ".images.tmp";
        var created = IO.AtomicFile.CreateTracked(imagesTemp, out var tracked); // deleted by an interrupt too (AtomicFile.DeleteUnfinished)
        try
        {
            try
            {
                using (var images = created)
                {
                    var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) };
                    for (int start = 0; start < store.Count; start += chunk)
                    {
                        int n = Math.Min(chunk, store.Count - start);
                        Parallel.For(0, n, options, k =>
                        {
                            buffers[k] ??= new byte[imageBytes];
                            try { store.Read(start + k, buffers[k]); reasons[k] = null; }
                            catch (Exception e) when (e is DataException or InvalidOperationException or IOException or ArgumentException) { reasons[k] = e.Message; }
                        });
                        for (int k = 0; k < n; k++)
                        {
                            if (reasons[k] is { } reason)
                            {
                                string file = store.Describe(start + k);
                                skipped.Add(new SkippedImage(file, reason.StartsWith(file + ": ", StringComparison.Ordinal) ? reason[(file.Length + 2)..] : reason));
                                continue;
                            }
                            images.Write(buffers[k]);
                            labels.Add(store.Label(start + k));
                            good.Add(start + k);
                        }
                        if (report is not null && (start / chunk) % 50 == 49) report(FormattableString.Invariant($"{store.Name}: {start + n:N0} of {store.Count:N0} decoded"));
                    }
                }
            }
            catch (IOException e) when (e.Message.Contains(imagesTemp, StringComparison.Ordinal))
            {
                // .NET named the hidden staging file: "No space left on device : '/cache/.train.pack.new.images.tmp'".
                throw new IOException($"{Path.GetDirectoryName(path)}: cannot write the cache's {store.Name} images ({IO.SystemMessage.Reason(e)}); a cache there is as it was before", e);
            }
            // Header and label index first, then the images.
            IO.AtomicFile.Write(path, output =>
            {
                output.Write(PackedImageFile.Header(good.Count, store.Size));
                var index = new byte[PackedImageFile.DataOffset(good.Count) - PackedImageFile.HeaderBytes];
                for (int i = 0; i < labels.Count; i++) BinaryPrimitives.WriteInt32LittleEndian(index.AsSpan(4 * i), labels[i]);
                output.Write(index);
                using var images = File.OpenRead(imagesTemp);
                images.CopyTo(output, 1 << 20);
            }, followLinks: false);
        }
        finally
        {
            File.Delete(imagesTemp);
            tracked.Dispose();
        }
        return good;
    }
}
