// Issue 14: the corpora afl-fuzz built (fuzz/corpus/TARGET.tar.xz, minimised by `fuzz/run.sh TARGET --save-corpus`)
// replayed through the same harness afl-fuzz ran, uninstrumented: every input is accepted or refused with a typed
// error naming it, within the allocation limit of its target, and within a time bound. So whatever paths fuzzing
// reached stay covered by CI, and a fresh clone can continue fuzzing from them (`run.sh TARGET SECONDS --continue`).
using System.Diagnostics;
using System.Formats.Tar;
using ConvNet.Fuzz;

namespace ConvNet.Tests.Reliability;

public sealed class FuzzCorpusTests
{
    private static string CorpusFolder => Path.Combine(Path.GetDirectoryName(MalformedCorpusTests.CorpusFolder)!, "..", "..", "fuzz", "corpus");

    private static IEnumerable<string> ArchivedTargets() =>
        Directory.EnumerateFiles(CorpusFolder, "*" + Extension).Order(StringComparer.Ordinal).Select(f => Path.GetFileName(f)[..^Extension.Length]);

    // xz, not gzip: the inputs of one target share most of their bytes (ONNX ones carry the same weights), which xz's
    // large window finds across files: the onnx corpus is 68 kB as .tar.xz and 7.9 MB as .tar.gz.
    private const string Extension = ".tar.xz";

    public static TheoryData<string> Targets() => new(ArchivedTargets());

    [Fact]
    public void EveryArchiveNamesATarget()
    {
        Assert.NotEmpty(ArchivedTargets());
        foreach (string name in ArchivedTargets()) Assert.True(TargetList.Find(name) is not null, $"fuzz/corpus/{name}{Extension} names no fuzz target");
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task EveryInputIsAcceptedOrRefusedWithATypedError(string targetName)
    {
        var target = TargetList.Find(targetName)!;
        var inputs = Read(Path.Combine(CorpusFolder, targetName + Extension));
        Assert.NotEmpty(inputs);
        var harness = new Harness(target);
        var findings = new List<string>();
        try
        {
            foreach (var (name, bytes) in inputs)
            {
                var clock = Stopwatch.StartNew();
                // On a task, so an input that never finishes fails the test instead of hanging CI; timed inside it, so
                // a thread pool slow to start the task is not counted as the input's time.
                var took = TimeSpan.Zero;
                var run = Task.Run(() =>
                {
                    var own = Stopwatch.StartNew();
                    harness.Run(bytes);
                    took = own.Elapsed;
                });
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
                if (took > MalformedCorpusTests.TimeLimit) findings.Add($"{name}: took {took.TotalSeconds:F1} s");
            }
        }
        finally
        {
            Directory.Delete(harness.Folder, recursive: true);
        }
        Assert.True(findings.Count == 0, $"{findings.Count} of {inputs.Count} inputs of {targetName}:\n{string.Join("\n", findings.Take(10))}");
    }

    // .NET reads tar but not xz: Debian's xz (xz-utils, part of every Debian system) decompresses.
    private static List<(string Name, byte[] Bytes)> Read(string archive)
    {
        var inputs = new List<(string, byte[])>();
        using var xz = Process.Start(new ProcessStartInfo("xz", ["-dc", archive]) { RedirectStandardOutput = true, UseShellExecute = false })
            ?? throw new InvalidOperationException("could not start xz");
        using (var tar = new TarReader(xz.StandardOutput.BaseStream))
        {
            while (tar.GetNextEntry() is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
                using var buffer = new MemoryStream();
                entry.DataStream.CopyTo(buffer);
                inputs.Add((entry.Name, buffer.ToArray()));
            }
        }
        xz.WaitForExit();
        Assert.True(xz.ExitCode == 0, $"xz -dc {archive} exited with {xz.ExitCode}");
        return inputs;
    }
}
