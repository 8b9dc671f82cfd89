// `train --force` into a folder that holds a run: the old run's files move into a hidden subfolder before the new run
// writes anything, and are deleted only once the new run has its first checkpoint. A new run that fails before that
// (too few images for a batch, a divergence at step 2, Ctrl+C) gets the old files back, so the folder never holds
// half of each (the new mean image beside the old checkpoints, whose recorded checksum it no longer matches).
// Only the files a run writes move; anything else in the folder (notes, exports, data) stays where it is.
// Every step can be interrupted: markers in the subfolder say how far setting aside or restoring got, and the next
// train, --force or --resume in the folder (under its lock) finishes the job in the right direction.
namespace ConvNet.Training;

public sealed class ReplacedRun
{
    public const string FolderName = ".replaced-run";
    private const string Discarded = ".replaced-run.discarded";
    // In the subfolder: everything was moved aside / the new run's files are gone and the old ones are coming back.
    private const string CompleteMarker = ".complete";
    private const string RestoringMarker = ".restoring";

    /// <summary>What a run writes in its folder (the lock aside): all that --force replaces.</summary>
    public static readonly string[] RunEntries =
    [
        Checkpoints.Last + ".json", Checkpoints.Best + ".json", Checkpoints.Previous + ".json", "checkpoints",
        MetricsLog.JsonFile, MetricsLog.CsvFile, StepLog.FileName, ImageTrainingData.PreprocessingFile, ImageTrainingData.ScanFile,
    ];

    private readonly string _runDirectory;
    private readonly string _aside;

    private ReplacedRun(string runDirectory)
    {
        _runDirectory = runDirectory;
        _aside = Path.Combine(runDirectory, FolderName);
    }

    /// <summary>Moves the run in <paramref name="runDirectory"/> aside; null when the folder holds none. The caller
    /// holds the folder's lock (RunFolderLock).</summary>
    public static ReplacedRun? SetAside(string runDirectory)
    {
        SettleLeftover(runDirectory);
        if (!Checkpoints.HoldsRun(runDirectory)) return null;
        var replaced = new ReplacedRun(runDirectory);
        Directory.CreateDirectory(replaced._aside);
        var moved = new List<string>();
        try
        {
            foreach (string name in replaced.Present(runDirectory))
            {
                Move(Path.Combine(runDirectory, name), Path.Combine(replaced._aside, name));
                moved.Add(name);
            }
            File.WriteAllText(Path.Combine(replaced._aside, CompleteMarker), "");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Back as it was, then say which entry could not move (a mount point, a folder without write access).
            foreach (string name in moved) Move(Path.Combine(replaced._aside, name), Path.Combine(runDirectory, name));
            Directory.Delete(replaced._aside, recursive: true);
            throw new CheckpointException($"{runDirectory}: --force could not set the run there aside ({e.Message}); nothing was changed");
        }
        return replaced;
    }

    /// <summary>Finishes what an interrupted --force left (under the folder's lock): the replaced run comes back if the
    /// new one never wrote a checkpoint, and goes if it did. True when a run was brought back.</summary>
    public static bool SettleLeftover(string runDirectory)
    {
        var replaced = new ReplacedRun(runDirectory);
        string discarded = Path.Combine(runDirectory, Discarded);
        if (Directory.Exists(discarded)) Directory.Delete(discarded, recursive: true);
        if (!Directory.Exists(replaced._aside)) return false;
        if (File.Exists(Path.Combine(replaced._aside, RestoringMarker)) || !File.Exists(Path.Combine(replaced._aside, CompleteMarker)))
        {
            // Killed while restoring, or while setting aside: what is at the top is the old run's (or nothing of the
            // new one's), so the rest of it moves back.
            replaced.MoveBack();
            return true;
        }
        if (Checkpoints.HoldsRun(runDirectory))
        {
            replaced.Discard();
            return false;
        }
        replaced.Restore();
        return true;
    }

    /// <summary>The new run has a checkpoint: the old one goes for good (first renamed, so that a delete cut short
    /// is never mistaken for a run to bring back).</summary>
    public void Discard()
    {
        if (!Directory.Exists(_aside)) return;
        string discarded = Path.Combine(_runDirectory, Discarded);
        if (Directory.Exists(discarded)) Directory.Delete(discarded, recursive: true);
        Directory.Move(_aside, discarded);
        Directory.Delete(discarded, recursive: true);
    }

    /// <summary>The new run failed before its first checkpoint: its files go and the old run's come back.</summary>
    public void Restore()
    {
        if (!Directory.Exists(_aside)) return;
        foreach (string name in Present(_runDirectory))
        {
            string path = Path.Combine(_runDirectory, name);
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            else File.Delete(path);
        }
        File.WriteAllText(Path.Combine(_aside, RestoringMarker), "");
        MoveBack();
    }

    private void MoveBack()
    {
        foreach (string name in Present(_aside))
        {
            string to = Path.Combine(_runDirectory, name);
            if (!Path.Exists(to)) Move(Path.Combine(_aside, name), to);
        }
        Directory.Delete(_aside, recursive: true);
    }

    private IEnumerable<string> Present(string folder) => RunEntries.Where(name => Path.Exists(Path.Combine(folder, name))).ToList();

    private static void Move(string from, string to)
    {
        if (Directory.Exists(from)) Directory.Move(from, to);
        else File.Move(from, to);
    }
}
