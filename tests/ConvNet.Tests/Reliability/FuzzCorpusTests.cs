// Issue 14: the corpora afl-fuzz built (fuzz/corpus/TARGET.tar.gz, minimised by `fuzz/run.sh TARGET --save-corpus`)
// replayed through the same harness afl-fuzz ran, uninstrumented: every input is accepted or refused with a typed
// error naming it, within the allocation limit of its target, and within a time bound. So whatever paths fuzzing
// reached stay covered by CI, and a fresh clone can continue fuzzing from them (`run.sh TARGET SECONDS --continue`).
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using ConvNet.Fuzz;

namespace ConvNet.Tests.Reliability;

public sealed class FuzzCorpusTests
{
    private static string CorpusFolder => Path.Combine(Path.GetDirectoryName(MalformedCorpusTests.CorpusFolder)!, "..", "..", "fuzz", "corpus");

    private static IEnumerable<string> ArchivedTargets() =>
        Directory.EnumerateFiles(CorpusFolder, "*.tar.gz").Order(StringComparer.Ordinal).Select(f => Path.GetFileName(f)[..^".tar.gz".Length]);

    public static TheoryData<string> Targets() => new(ArchivedTargets());

    [Fact]
    public void EveryArchiveNamesATarget()
    {
        Assert.NotEmpty(ArchivedTargets());
        foreach (string name in ArchivedTargets()) Assert.True(TargetList.Find(name) is not null, $"fuzz/corpus/{name}.tar.gz names no fuzz target");
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task EveryInputIsAcceptedOrRefusedWithATypedError(string targetName)
    {
        var target = TargetList.Find(targetName)!;
        var inputs = Read(Path.Combine(CorpusFolder, targetName + ".tar.gz"));
        Assert.NotEmpty(inputs);
        var harness = new Harness(target);
        var findings = new List<string>();
        try
        {
            foreach (var (name, bytes) in inputs)
            {
                var clock = Stopwatch.StartNew();
                // On a task, so an input that never finishes fails the test instead of hanging CI.
                var run = Task.Run(() => harness.Run(bytes));
                try
                {
                    await run.WaitAsync(TimeSpan.FromTicks(MalformedCorpusTests.TimeLimit.Ticks * 4));
                }
                catch (TimeoutException)
                {
                    findings.Add($"{name}: still running after {clock.Elapsed.TotalSeconds:F0} s (a hang)");
                    break; // the harness's input file is still in use
                }
                catch (Exception e)
                {
                    findings.Add($"{name}: {e.GetType().Name}: {e.Message}");
                }
                if (clock.Elapsed > MalformedCorpusTests.TimeLimit) findings.Add($"{name}: took {clock.Elapsed.TotalSeconds:F1} s");
            }
        }
        finally
        {
            Directory.Delete(harness.Folder, recursive: true);
        }
        Assert.True(findings.Count == 0, $"{findings.Count} of {inputs.Count} inputs of {targetName}:\n{string.Join("\n", findings.Take(10))}");
    }

    private static List<(string Name, byte[] Bytes)> Read(string archive)
    {
        var inputs = new List<(string, byte[])>();
        using var gzip = new GZipStream(File.OpenRead(archive), CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
            using var buffer = new MemoryStream();
            entry.DataStream.CopyTo(buffer);
            inputs.Add((entry.Name, buffer.ToArray()));
        }
        return inputs;
    }
}
