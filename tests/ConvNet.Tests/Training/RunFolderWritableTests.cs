// Checkpoints.RequireWritable, run before any training: a resumed run whose checkpoints/ cannot take files trained a
// whole epoch and then failed on the save, naming a temporary file. Tests run as root, where a read-only mode does not
// stop writes: a checkpoints/ that is a link to /proc (where no one can create a file) stands in for it.
using ConvNet.Tests.Support;
using ConvNet.Training;

namespace ConvNet.Tests.Training;

public class RunFolderWritableTests
{
    [Fact]
    public void AnUnwritableCheckpointsFolderIsRefusedByName()
    {
        if (!Directory.Exists("/proc/self")) return; // not Linux: no folder every user is refused files in
        using var temp = new TempDirectory();
        string run = temp.Combine("run");
        Directory.CreateDirectory(run);
        Directory.CreateSymbolicLink(Path.Combine(run, "checkpoints"), "/proc");
        var e = Assert.Throws<CheckpointException>(() => Checkpoints.RequireWritable(run));
        Assert.StartsWith(Path.Combine(run, "checkpoints") + ": the run's checkpoints folder is not writable", e.Message);
    }

    [Fact]
    public void AWritableRunFolderPassesAndKeepsNoProbe()
    {
        using var temp = new TempDirectory();
        string run = temp.Combine("run");
        Directory.CreateDirectory(Path.Combine(run, "checkpoints"));
        Checkpoints.RequireWritable(run);
        string fresh = temp.Combine("new-run"); // no checkpoints/ yet: nothing more to probe
        Directory.CreateDirectory(fresh);
        Checkpoints.RequireWritable(fresh);
        Assert.Equal([Path.Combine(run, "checkpoints")], Directory.GetFileSystemEntries(run));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(run, "checkpoints")));
    }
}
