// Which images a store holds, without decoding any: SHA-256 of every image's file name, file size and label, in
// sorted order. A run's scan records it, so a resume notices images moved between classes, replaced, added or
// removed (whatever the counts say), and data that moved is known to be the same images. A packed cache's entries
// ("FILE#i") count the fingerprint of the images `prepare` packed into it (or, for caches made before it was
// recorded, the pack file's size).
namespace ConvNet.Data.Images;

public static class ImageFingerprint
{
    /// <param name="packsBySize">count a packed cache's file size even when cache.json records what it packed (the
    /// identity scans made before that was recorded used)</param>
    public static string Of(IEnumerable<IImageStore> stores, bool packsBySize = false)
    {
        var entries = new List<string>();
        foreach (var store in stores)
        {
            string? packed = packsBySize ? null : PackedSource(store);
            for (int i = 0; i < store.Count; i++)
            {
                string described = store.Describe(i);
                string identity;
                if (packed is not null) identity = packed;
                else
                {
                    var file = new FileInfo(described);
                    if (!file.Exists && described.LastIndexOf('#') is var hash and > 0) file = new FileInfo(described[..hash]);
                    identity = (file.Exists ? file.Length : -1).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
                entries.Add($"{Path.GetFileName(described)}\t{identity}\t{store.Label(i)}");
            }
        }
        entries.Sort(StringComparer.Ordinal);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join('\n', entries))));
    }

    /// <summary>Whether a store is a packed cache whose cache.json records what it packed (only then does
    /// packsBySize give another fingerprint).</summary>
    public static bool RecordsPackedSource(IEnumerable<IImageStore> stores) => stores.Any(s => PackedSource(s) is not null);

    // The fingerprint of the images packed into the cache file under a store, when its cache.json records one.
    private static string? PackedSource(IImageStore store) => store switch
    {
        PackedImageStore packed => packed.SourceFingerprint,
        SubsetImageStore subset => PackedSource(subset.Inner),
        RelabeledImageStore relabeled => PackedSource(relabeled.Inner),
        _ => null,
    };
}
