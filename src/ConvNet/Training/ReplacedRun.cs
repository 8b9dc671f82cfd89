// `train --force` into a folder that holds a run: the old run's files move into a hidden subfolder before the new run
// writes anything, and are deleted only once the new run has its first checkpoint. A new run that fails before that
// (too few images for a batch, a divergence at step 2, Ctrl+C) gets the old files back, so the folder never holds
// half of each (the new mean image beside the old checkpoints, whose recorded checksum it no longer matches).
namespace ConvNet.Training;

public sealed class ReplacedRun
{
    public const string FolderName = ".replaced-run";

    private readonly string _runDirectory;
    private readonly string _aside;

    private ReplacedRun(string runDirectory)
    {
        _runDirectory = runDirectory;
        _aside = Path.Combine(runDirectory, FolderName);
    }

    /// <summary>Moves the run in <paramref name="runDirectory"/> aside; null when the folder holds none. The caller
    /// holds the folder's lock (RunFolderLock), whose file stays.</summary>
    public static ReplacedRun? SetAside(string runDirectory)
    {
        var replaced = new ReplacedRun(runDirectory);
        if (Directory.Exists(replaced._aside))
        {
            // An earlier --force was killed before its first checkpoint: the run it replaced is still aside, and what
            // lies beside it is that attempt's leftovers.
            replaced.DeleteCurrent();
            return replaced;
        }
        if (!HoldsRun(runDirectory)) return null;
        Directory.CreateDirectory(replaced._aside);
        foreach (string entry in replaced.Current())
            Move(entry, Path.Combine(replaced._aside, Path.GetFileName(entry)));
        return replaced;
    }

    /// <summary>Settles what a killed --force left (under the folder's lock): the replaced run comes back if the new one
    /// never wrote a checkpoint, and goes if it did. True when a run was brought back.</summary>
    public static bool SettleLeftover(string runDirectory)
    {
        var replaced = new ReplacedRun(runDirectory);
        if (!Directory.Exists(replaced._aside)) return false;
        if (HoldsRun(runDirectory))
        {
            replaced.Discard();
            return false;
        }
        replaced.Restore();
        return true;
    }

    private static bool HoldsRun(string runDirectory) =>
        File.Exists(Path.Combine(runDirectory, Checkpoints.Last + ".json")) || File.Exists(Path.Combine(runDirectory, Checkpoints.Best + ".json"));

    /// <summary>The new run has a checkpoint: the old one goes for good.</summary>
    public void Discard()
    {
        if (Directory.Exists(_aside)) Directory.Delete(_aside, recursive: true);
    }

    /// <summary>The new run failed before its first checkpoint: its files go and the old run's come back.</summary>
    public void Restore()
    {
        if (!Directory.Exists(_aside)) return;
        DeleteCurrent();
        foreach (string entry in Directory.EnumerateFileSystemEntries(_aside).ToList())
            Move(entry, Path.Combine(_runDirectory, Path.GetFileName(entry)));
        Directory.Delete(_aside);
    }

    // Everything in the run folder but the lock file and the old run set aside.
    private List<string> Current() => Directory.EnumerateFileSystemEntries(_runDirectory)
        .Where(entry => Path.GetFileName(entry) is not (FolderName or RunFolderLock.FileName)).ToList();

    private void DeleteCurrent()
    {
        foreach (string entry in Current())
        {
            if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true);
            else File.Delete(entry);
        }
    }

    private static void Move(string from, string to)
    {
        if (Directory.Exists(from)) Directory.Move(from, to);
        else File.Move(from, to);
    }
}
