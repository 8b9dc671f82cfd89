// One pass over a store that decodes every image on several threads: finds the images that cannot be used (reported
// with path and reason, then left out) and, for the training split, accumulates the mean image and colour statistics.
namespace ConvNet.Data.Images;

public sealed record SkippedImage(string Path, string Reason);

public sealed record ScanResult(IReadOnlyList<int> Good, IReadOnlyList<SkippedImage> Skipped, ImageStatistics? Statistics);

public static class ImageScan
{
    public static ScanResult Run(IImageStore store, int threads, bool statistics, Action<string>? report = null)
    {
        threads = Math.Max(1, Math.Min(threads, Math.Max(1, store.Count)));
        var ok = new bool[store.Count];
        var reasons = new string?[store.Count];
        var partials = new ImageStatistics?[threads];
        int done = 0, nextReport = Math.Max(1000, store.Count / 10);
        var progressLock = new object();
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, worker =>
        {
            var buffer = new byte[3 * store.Size * store.Size];
            var partial = statistics ? new ImageStatistics(store.Size) : null;
            // Contiguous ranges per worker: each image is read by exactly one thread.
            int start = (int)((long)store.Count * worker / threads), end = (int)((long)store.Count * (worker + 1) / threads);
            for (int i = start; i < end; i++)
            {
                try
                {
                    store.Read(i, buffer);
                    ok[i] = true;
                    partial?.Add(buffer);
                }
                catch (Exception e) when (e is DataException or InvalidOperationException or IOException or ArgumentException)
                {
                    reasons[i] = e.Message;
                }
                int finished = Interlocked.Increment(ref done);
                if (report is not null && finished % nextReport == 0)
                    lock (progressLock) report(FormattableString.Invariant($"{store.Name}: checked {finished:N0} of {store.Count:N0} images"));
            }
            partials[worker] = partial;
        });

        ImageStatistics? total = null;
        if (statistics)
        {
            total = new ImageStatistics(store.Size);
            foreach (var p in partials) total.Merge(p!);
        }
        var good = Enumerable.Range(0, store.Count).Where(i => ok[i]).ToArray();
        var skipped = Enumerable.Range(0, store.Count).Where(i => !ok[i]).Select(i => new SkippedImage(store.Describe(i), Strip(reasons[i]!, store.Describe(i)))).ToArray();
        foreach (var s in skipped) report?.Invoke($"skipped {Diagnostics.PrintableText.Of(s.Path)}: {s.Reason}"); // a \r in a name would overwrite the line
        if (skipped.Length > 0) report?.Invoke($"{store.Name}: skipped {skipped.Length} of {store.Count} images that could not be read");
        return new ScanResult(good, skipped, total);
    }

    // DataException messages start with "path: "; the skipped list keeps path and reason apart.
    private static string Strip(string message, string path) => message.StartsWith(path + ": ", StringComparison.Ordinal) ? message[(path.Length + 2)..] : message;
}
