// What the ranks must see alike before they work together: the run they start or resume, its folder, the data they
// read. Each rank's view is gathered into every rank (MPI_Allgather), so a difference is refused on every rank at once,
// naming the ranks that differ from rank 0 and how, before any rank acts on its own view (a rank resuming while another
// started a new run waited in a barrier the other never entered; a rank reading other files at the same path trained
// or scored them without a word).
namespace ConvNet.Distributed;

public static class RankAgreement
{
    /// <summary>A 64-bit hash of <paramref name="text"/>, to gather.</summary>
    public static long Fingerprint(string text) => (long)ReplicaCheck.Hash(text);

    /// <summary>The ranks whose row differs from rank 0's, in order.</summary>
    public static int[] DifferingFromRoot(long[][] rows) =>
        [.. Enumerable.Range(1, rows.Length - 1).Where(r => !rows[r].AsSpan().SequenceEqual(rows[0]))];

    /// <summary>"rank 1", "ranks 1 and 3", "ranks 1, 2, 3, 4 and 7 more".</summary>
    public static string Ranks(IReadOnlyList<int> ranks)
    {
        const int Named = 4;
        if (ranks.Count == 1) return $"rank {ranks[0]}";
        if (ranks.Count > Named + 1) return $"ranks {string.Join(", ", ranks.Take(Named))} and {ranks.Count - Named} more";
        return $"ranks {string.Join(", ", ranks.Take(ranks.Count - 1))} and {ranks[^1]}";
    }

    /// <summary>Before anything else of a run: every rank starts a new run, or every rank resumes one, in the same
    /// folder (by its full path). Throws CommunicationException on every rank otherwise.</summary>
    public static void RequireSameRun(ICommunicator communicator, bool resuming, string runDirectory)
    {
        if (communicator.Size == 1) return;
        string full = FullPath(runDirectory);
        var rows = communicator.AllGather(resuming ? 1 : 0, Fingerprint(full));
        string here = $"here, on rank {communicator.Rank}: {(resuming ? "--resume" : "--out")} {full}";
        var resumers = Enumerable.Range(0, rows.Length).Where(r => rows[r][0] == 1).ToList();
        if (resumers.Count > 0 && resumers.Count < rows.Length)
        {
            var starters = Enumerable.Range(0, rows.Length).Except(resumers).ToList();
            throw new CommunicationException($"the ranks do not agree on the run: {Ranks(resumers)} of {rows.Length} {Verb(resumers, "resume")} one (--resume), " +
                $"{Ranks(starters)} {Verb(starters, "start")} a new one ({here}); start every rank with the same command line");
        }
        if (DifferingFromRoot(rows) is { Length: > 0 } other)
            throw new CommunicationException($"{Ranks(other)} of {rows.Length} {Verb(other, "name")} another run folder than rank 0 ({here}); " +
                "every rank must name the same run folder, at the same path");
    }

    /// <summary>Every rank sees the run folder rank 0 writes: the token rank 0's lock put there (RunFolderLock) reads
    /// the same on each. A rank whose folder is another (not on a shared file system, or another path that reads the
    /// same) would read no scan of rank 0's, or an old one, and write its own.</summary>
    /// <param name="token">the lock's token as this rank reads it from the folder ("" when there is none)</param>
    public static void RequireSharedRunFolder(ICommunicator communicator, string runDirectory, string token)
    {
        if (communicator.Size == 1) return;
        var rows = communicator.AllGather(Fingerprint(token));
        if (DifferingFromRoot(rows) is { Length: > 0 } other)
            throw new CommunicationException($"{Ranks(other)} of {rows.Length} {Verb(other, "do", "does")} not see the run folder rank 0 writes at {FullPath(runDirectory)} " +
                "(the token rank 0 just wrote there is missing or another): the run folder must be on a file system every rank shares, " +
                "since rank 0 alone writes it and the others read the data's scan (and, on --resume, the checkpoint) from it");
    }

    /// <summary>Every rank reads the same data: what <paramref name="fingerprint"/> covers (the training and test
    /// images' checksums, the class names) and the counts of training, validation and test images.</summary>
    public static void RequireSameData(ICommunicator communicator, string data, string fingerprint, int train, int validation, int test)
    {
        if (communicator.Size == 1) return;
        var rows = communicator.AllGather(Fingerprint(fingerprint), train, validation, test);
        if (DifferingFromRoot(rows) is not { Length: > 0 } other) return;
        string Counts(long[] row) => FormattableString.Invariant($"{row[1]:N0} training, {row[2]:N0} validation and {row[3]:N0} test images");
        bool sameCounts = other.All(r => rows[r].AsSpan(1).SequenceEqual(rows[0].AsSpan(1)));
        string how = sameCounts
            ? $"as many images, {Counts(rows[0])}, but other pixels, labels or class names"
            : string.Join("; ", new[] { 0 }.Concat(other.Take(4)).Select(r => $"rank {r}: {Counts(rows[r])}"));
        throw new CommunicationException($"{Ranks(other)} of {rows.Length} {Verb(other, "read")} different data at {data} than rank 0 ({how}); " +
            "every rank must see the same files");
    }

    /// <summary>Every rank scores the same images: their number, and which were skipped as unreadable.</summary>
    /// <param name="fingerprint">what else must agree: the skipped files' names, the images' checksum</param>
    public static void RequireSameImages(ICommunicator communicator, string data, int count, int skipped, string fingerprint)
    {
        if (communicator.Size == 1) return;
        var rows = communicator.AllGather(count, skipped, Fingerprint(fingerprint));
        if (DifferingFromRoot(rows) is not { Length: > 0 } other) return;
        string Seen(int r) => FormattableString.Invariant($"rank {r}: {rows[r][0]:N0} images{(rows[r][1] > 0 ? FormattableString.Invariant($", {rows[r][1]:N0} unreadable skipped") : "")}");
        bool sameCounts = other.All(r => rows[r][0] == rows[0][0] && rows[r][1] == rows[0][1]);
        string how = sameCounts ? $"as many, {Seen(0)}, but other files or other unreadable ones"
            : string.Join(", ", new[] { 0 }.Concat(other.Take(4)).Select(Seen));
        throw new CommunicationException($"the ranks see different images at {data} ({how}); every rank must see the same files, " +
            "or the metrics would count some images twice and others not at all");
    }

    private static string Verb(IReadOnlyList<int> ranks, string plural, string? singular = null) =>
        ranks.Count == 1 ? singular ?? plural + "s" : plural;

    private static string FullPath(string path)
    {
        try { return Path.GetFullPath(path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { return path; }
    }
}
