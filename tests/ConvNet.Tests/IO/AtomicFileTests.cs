// Atomic writes go through a hidden temporary file beside the target; its name must itself be a valid name. A link, a
// pipe or a device at the target is written through, never replaced by a regular file.
using System.Diagnostics;
using System.Text;
using ConvNet.IO;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.IO;

public class AtomicFileTests
{
    [Fact]
    public void WritesATargetWhoseNameIs250Bytes()
    {
        // `show filters --out aaa...a.png` (250 bytes) was refused as "path too long": .NAME.PID.tmp is over 255 bytes.
        using var dir = new TempDirectory();
        string path = dir.File(new string('a', 246) + ".png");
        AtomicFile.WriteAllText(path, "figure");
        Assert.Equal("figure", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void TheTemporaryFileOfAKilledWriteOfTheSameNameGoes()
    {
        // A SIGKILL'd export or show left .x.onnx.PID.tmp beside --out for good (pass 42). One a writer still holds (a
        // write in progress, perhaps in another container, whose PID means nothing here) stays, and a file of another
        // name is not this write's.
        using var dir = new TempDirectory();
        string dead = dir.File(AtomicFile.TempName("x.onnx", 2_000_000_000)), live = dir.File(AtomicFile.TempName("x.onnx", 2_000_000_001));
        string other = dir.File(AtomicFile.TempName("y.onnx", 2_000_000_000));
        foreach (string f in new[] { dead, live, other }) File.WriteAllText(f, "half a model");
        using (var writer = new FileStream(live, FileMode.Open, FileAccess.Write, FileShare.None)) // as AtomicFile holds its own
            AtomicFile.WriteAllText(dir.File("x.onnx"), "model");
        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(live));
        Assert.True(File.Exists(other));
    }

    [Fact]
    public void TemporaryNamesFitTheLimitStayUniqueAndKeepTheirPattern()
    {
        Assert.Equal(".y.npy.42.tmp", AtomicFile.TempName("y.npy", 42));
        string a = new string('ü', 126) + "a.png", b = new string('ü', 126) + "b.png"; // 257 bytes each, same beginning
        string ta = AtomicFile.TempName(a, int.MaxValue), tb = AtomicFile.TempName(b, int.MaxValue);
        Assert.NotEqual(ta, tb);
        foreach (string t in new[] { ta, tb })
        {
            Assert.True(Encoding.UTF8.GetByteCount(t) <= 255, $"{t}: {Encoding.UTF8.GetByteCount(t)} bytes");
            Assert.StartsWith(".üü", t);
            Assert.EndsWith($".{int.MaxValue}.tmp", t); // what Checkpoints' clean-up of unfinished writes looks for
            Assert.DoesNotContain('\uFFFD', t);
        }
    }

    [Fact]
    public void ALinkStaysALinkAndItsTargetGetsTheContent()
    {
        using var dir = new TempDirectory();
        string target = dir.File("real.json"), link = dir.File("link.json");
        File.WriteAllText(target, "old");
        File.CreateSymbolicLink(link, "real.json");
        AtomicFile.WriteAllText(link, "new");
        Assert.Equal("real.json", new FileInfo(link).LinkTarget);
        Assert.Equal("new", File.ReadAllText(target));
        Assert.Equal(2, Directory.GetFileSystemEntries(dir.Path).Length); // no temporary file left

        string loop = dir.File("loop.json");
        File.CreateSymbolicLink(loop, "loop.json");
        var refused = Assert.Throws<IOException>(() => AtomicFile.WriteAllText(loop, "x"));
        Assert.Contains($"{loop}: a symbolic link that leads nowhere", refused.Message);
    }

    [Fact]
    public async Task ANamedPipeIsWrittenIntoNotReplaced()
    {
        using var dir = new TempDirectory();
        string pipe = NamedPipe.Make(dir.File("out.npy"));
        var read = Task.Run(() => File.ReadAllText(pipe)); // the reader at the other end
        AtomicFile.WriteAllText(pipe, "through the pipe");
        Assert.Equal("through the pipe", await read.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(FileKind.NamedPipe, FileStatus.Of(pipe)!.Value.Kind);
        Assert.Equal([pipe], Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void ACharacterDeviceIsWrittenIntoAndABlockDeviceRefused()
    {
        // A run as root replaced the system's /dev/full with a regular file. Device nodes made here instead: the null
        // device's numbers (1, 3), and a block device's numbers that name no disk (a wrong write could touch none).
        using var dir = new TempDirectory();
        string nul = dir.File("null.png"), block = dir.File("block.png");
        if (!MakeNode(nul, "c", 1, 3) || !MakeNode(block, "b", 250, 250)) return; // no permission for mknod: nothing to check

        AtomicFile.WriteAllText(nul, "discarded");
        Assert.Equal(FileKind.CharacterDevice, FileStatus.Of(nul)!.Value.Kind);

        var refused = Assert.Throws<IOException>(() => AtomicFile.WriteAllText(block, "x"));
        Assert.Equal($"{block}: is a block device, not a file; give the name of a file to write", refused.Message);
        Assert.Equal(FileKind.BlockDevice, FileStatus.Of(block)!.Value.Kind);
        Assert.Equal(2, Directory.GetFileSystemEntries(dir.Path).Length);
    }

    [Fact]
    public void ALinkToTheNullDeviceStaysAndAProgramsOwnFileReplacesItsLink()
    {
        // Needs no mknod (so it runs for any user): the old rename replaced the link with a regular file.
        using var dir = new TempDirectory();
        string toNull = dir.File("out.png");
        File.CreateSymbolicLink(toNull, "/dev/null");
        AtomicFile.WriteAllText(toNull, "discarded");
        Assert.Equal("/dev/null", new FileInfo(toNull).LinkTarget);

        // A file a program keeps in its own folder (followLinks: false) replaces its link: a run copied as links
        // (cp -rs) must not write into the run it was copied from.
        string original = dir.File("original.json"), copy = dir.File("copy.json");
        File.WriteAllText(original, "the first run's");
        File.CreateSymbolicLink(copy, original);
        AtomicFile.WriteAllText(copy, "the copy's", followLinks: false);
        Assert.Null(new FileInfo(copy).LinkTarget);
        Assert.Equal("the first run's", File.ReadAllText(original));

        // A dangling link whose folder does not exist makes no folder.
        string dangling = dir.File("dangling.png");
        File.CreateSymbolicLink(dangling, dir.File("no-such-folder/x.png"));
        Assert.Contains("whose folder does not exist", Assert.Throws<IOException>(() => AtomicFile.WriteAllText(dangling, "x")).Message);
        Assert.False(Directory.Exists(dir.File("no-such-folder")));
    }

    private static bool MakeNode(string path, string type, int major, int minor)
    {
        using var mknod = Process.Start(new ProcessStartInfo("mknod", [path, type, major.ToString(), minor.ToString()])
            { UseShellExecute = false, RedirectStandardError = true })!;
        mknod.WaitForExit();
        return mknod.ExitCode == 0;
    }
}
