// RUNDIR/steps.csv: the training loss and learning rate of every step, for per-step loss curves. Lines are held
// back and written with every checkpoint; on resume the file is cut back to the checkpoint's step, so it never holds
// steps the checkpoint does not know about (a killed run's unsaved steps are trained again). Lines not yet written
// when the log is closed are dropped: a diverged run stops without saving its last steps, and their losses
// (1e23 and the like) would otherwise be kept and flatten every curve drawn from the file.
using System.Globalization;
using ConvNet.IO;

namespace ConvNet.Training;

public readonly record struct StepPoint(long Step, int Epoch, double Loss, float LearningRate);

public sealed class StepLog(string runDirectory) : IDisposable
{
    public const string FileName = "steps.csv";
    private const string Header = "step,epoch,loss,learning_rate";
    private StreamWriter? _writer;
    private readonly System.Text.StringBuilder _pending = new();

    private string FilePath => Path.Combine(runDirectory, FileName);

    /// <summary>Keeps the steps up to <paramref name="throughStep"/> (0 for a new run) and opens the file for appending.</summary>
    public void Start(long throughStep)
    {
        _writer?.Dispose();
        _pending.Clear();
        var kept = File.Exists(FilePath) ? Read(FilePath).Where(p => p.Step <= throughStep).ToList() : [];
        AtomicFile.WriteAllText(FilePath, Header + "\n" + string.Concat(kept.Select(p => Line(p) + "\n")), followLinks: false);
        _writer = new StreamWriter(new FileStream(FilePath, FileMode.Append, FileAccess.Write, FileShare.Read));
    }

    public void Append(long step, int epoch, double loss, float learningRate)
    {
        if (_writer is not null) _pending.Append(Line(new StepPoint(step, epoch, loss, learningRate))).Append('\n');
    }

    /// <summary>Writes the steps appended since the last call: call it as their checkpoint is saved.</summary>
    public void Flush()
    {
        if (_writer is null) return;
        _writer.Write(_pending);
        _writer.Flush();
        _pending.Clear();
    }

    /// <summary>Closes the file; steps appended since the last <see cref="Flush"/> (no checkpoint has them) are dropped.</summary>
    public void Dispose()
    {
        _pending.Clear();
        _writer?.Dispose();
        _writer = null;
    }

    private static string Line(StepPoint p) => string.Join(",", p.Step.ToString(CultureInfo.InvariantCulture), p.Epoch.ToString(CultureInfo.InvariantCulture),
        p.Loss.ToString("R", CultureInfo.InvariantCulture), p.LearningRate.ToString("R", CultureInfo.InvariantCulture));

    /// <summary>The steps a run folder's steps.csv records (none when it has no such file: runs from before it existed).
    /// A line cut short by a crash is ignored.</summary>
    public static IReadOnlyList<StepPoint> ReadRun(string runDirectory)
    {
        string file = Path.Combine(runDirectory, FileName);
        return File.Exists(file) ? Read(file) : [];
    }

    private static List<StepPoint> Read(string file)
    {
        var points = new List<StepPoint>();
        var lines = IO.InputFile.ReadRegularText(file, 1L << 30).Split('\n');
        // A last line without its newline was cut short by a kill (its number may be cut too: 0.0012 read as 0.00): left out.
        foreach (string line in lines.Skip(1).Take(lines.Length - 2))
        {
            var f = line.TrimEnd('\r').Split(',');
            if (f.Length == 4 && long.TryParse(f[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out long step)
                && int.TryParse(f[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int epoch)
                && double.TryParse(f[2], NumberStyles.Float, CultureInfo.InvariantCulture, out double loss)
                && float.TryParse(f[3], NumberStyles.Float, CultureInfo.InvariantCulture, out float rate))
                points.Add(new StepPoint(step, epoch, loss, rate));
        }
        return points;
    }
}
