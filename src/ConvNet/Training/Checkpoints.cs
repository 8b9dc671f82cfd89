// Checkpoints of a run folder. Each save writes step-N.safetensors (weights) and step-N.momentum.safetensors
// (SGD velocities) under RUNDIR/checkpoints/, then atomically replaces RUNDIR/last.json (and best.json) naming
// them with their SHA-256. Renaming the sidecar is the commit point: a run killed at any moment leaves the
// previous sidecar pointing at complete files, and files no sidecar names are removed at the next save.
using System.Security.Cryptography;
using System.Text.Json;
using ConvNet.Interop;
using ConvNet.IO;
using ConvNet.Models;

namespace ConvNet.Training;

public sealed record LoadedCheckpoint(CheckpointInfo Info, string SidecarPath, string WeightsPath, string? MomentumPath)
{
    /// <summary>False for a training run's sidecar written before convolution algorithms were recorded (before
    /// 2026-11-29, commit ac8d70a): its config reads as the default, auto, though the run computed every convolution
    /// directly.</summary>
    public bool RecordsConvAlgorithm { get; init; } = true;

    /// <summary>Whether the momentum file was checked against its SHA-256 when opened (for --resume); otherwise
    /// LoadMomentum checks it. Inference never reads it, so a missing or damaged one stops only a resume.</summary>
    public bool MomentumVerified { get; init; }
}

public static class Checkpoints
{
    public const string Last = "last";
    public const string Best = "best";
    /// <summary>The checkpoint last.json named before the newest save: what --resume falls back to when last.json's
    /// files are damaged.</summary>
    public const string Previous = "previous";

    /// <summary>Saves the network (and optimiser) and points the given tags (e.g. last, best) at the new files.</summary>
    /// <returns>a sidecar that cannot be read (see UnreadableSidecar), which kept every old checkpoint; null when the
    /// checkpoints no sidecar names were deleted</returns>
    public static string? Save(string runDirectory, Network network, Sgd? sgd, CheckpointInfo infoWithoutFiles, params string[] tags) =>
        Save(runDirectory, network, sgd, infoWithoutFiles, writtenHere: null, tags);

    /// <summary>As <see cref="Save(string, Network, Sgd?, CheckpointInfo, string[])"/>, for a caller that saves many times:
    /// <paramref name="writtenHere"/> collects the files these saves wrote, the only ones deleted from a linked
    /// checkpoints/ once no sidecar names them (the folder may hold another run's).</summary>
    public static string? Save(string runDirectory, Network network, Sgd? sgd, CheckpointInfo infoWithoutFiles, ISet<string>? writtenHere, params string[] tags)
    {
        string folder = Path.Combine(runDirectory, "checkpoints");
        try { Directory.CreateDirectory(folder); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // .NET names the first folder it could not make ("Could not find file '/proc/run'"), not what failed.
            throw new IOException($"{runDirectory}: cannot create the checkpoint folder ({IO.SystemMessage.WhyNotCreated(e)})", e);
        }
        string stem = $"step-{infoWithoutFiles.Step:D8}";
        string weights = Path.Combine(folder, stem + ".safetensors");
        // The weights file carries the class names and preprocessing too, so it can be imported on its own.
        var metadata = ModelMetadata.FromInfo(infoWithoutFiles, MeanImageFile(runDirectory, infoWithoutFiles)).ToProperties();
        metadata["format"] = "pt";
        metadata["model"] = network.Name;
        // A file of that name already there may be another run's (a linked checkpoints/ is shared): never counted as
        // this process's own to delete later, even once replaced.
        bool weightsNew = !File.Exists(weights);
        AtomicFile.Write(weights, s => SafeTensorsFile.Write(s, WeightLoader.Collect(network), metadata), followLinks: false);
        string? momentum = null;
        bool momentumNew = false;
        if (sgd is not null)
        {
            momentum = Path.Combine(folder, stem + ".momentum.safetensors");
            momentumNew = !File.Exists(momentum);
            var velocities = sgd.Parameters.Select((p, i) => new NamedTensor(p.Name, p.Value.Shape, sgd.Velocities[i].ToArray())).ToList();
            AtomicFile.Write(momentum, s => SafeTensorsFile.Write(s, velocities,
                new Dictionary<string, string> { [Interop.ModelMetadata.ContentKey] = Interop.ModelMetadata.MomentumContent }), followLinks: false);
        }
        if (weightsNew) writtenHere?.Add(Path.GetFullPath(weights));
        if (momentum is not null && momentumNew) writtenHere?.Add(Path.GetFullPath(momentum));
        var info = infoWithoutFiles with
        {
            WeightsFile = Path.GetRelativePath(runDirectory, weights),
            WeightsSha256 = Sha256(weights),
            MomentumFile = momentum is null ? null : Path.GetRelativePath(runDirectory, momentum),
            MomentumSha256 = momentum is null ? null : Sha256(momentum),
            CreatedUtc = DateTime.UtcNow.ToString("O"),
        };
        string json = JsonSerializer.Serialize(info, CheckpointInfo.Json);
        string last = Path.Combine(runDirectory, Last + ".json"), previous = Path.Combine(runDirectory, Previous + ".json");
        if (tags.Contains(Last))
        {
            // previous.json is the checkpoint before last.json, the fallback of a resume whose last.json is damaged.
            // Saving the step last.json already holds (a stop right after a periodic save) keeps the one before;
            // copying it made both name one step, and a damaged weights file then left nothing to fall back to.
            if (File.Exists(last))
            {
                string text = IO.InputFile.ReadRegularText(last);
                if (ReadSidecar(last) is not { } held || held.Step != infoWithoutFiles.Step) AtomicFile.WriteAllText(previous, text, followLinks: false);
            }
        }
        // last.json last: it is what a resume reads, so a kill before it makes the resume save again, and a run whose
        // last.json is written has every other sidecar of that save written too (a kill between last.json and
        // best.json left best.json stale, with its temporary file, in a run that then counted as finished).
        foreach (var tag in tags.OrderBy(t => t == Last ? 1 : 0)) AtomicFile.WriteAllText(Path.Combine(runDirectory, tag + ".json"), json, followLinks: false);
        return RemoveUnreferenced(runDirectory, writtenHere);
    }

    private static byte[]? MeanImageFile(string runDirectory, CheckpointInfo info) =>
        info.Preprocessing is { } p && File.Exists(Path.Combine(runDirectory, p.File)) ? ReadRegularBytes(Path.Combine(runDirectory, p.File)) : null;

    private static byte[] ReadRegularBytes(string path)
    {
        IO.InputFile.RequireRegular(path);
        return IO.InputFile.ReadAllBytes(path);
    }

    /// <summary>Throws unless <paramref name="runDirectory"/> is free for a new run (no last.json or best.json).</summary>
    /// <param name="what">what the command writes, for the message</param>
    /// <param name="hint">what the user can do instead, naming options the command has</param>
    public static void RequireNoRun(string runDirectory, string what = "a run",
        string hint = "continue it with --resume, choose another --out, or pass --force to replace it")
    {
        foreach (var tag in new[] { Last, Best })
            if (File.Exists(Path.Combine(runDirectory, tag + ".json")))
            {
                // An import records no recipe: --resume, which the run's hint offers, cannot continue it.
                if (what == "a run" && ReadSidecar(Path.Combine(runDirectory, tag + ".json")) is { Config: null })
                    throw new CheckpointException($"--out {runDirectory}: already holds an imported model ({tag}.json, made by convnet import), " +
                        "which has no training recipe to resume; choose another --out, or pass --force to replace it");
                throw new CheckpointException($"--out {runDirectory}: already holds {what} ({tag}.json); {hint}");
            }
    }

    /// <summary>For a new run in a folder RequireNoRun passed: a previous.json left there belongs to another run (its
    /// last.json and best.json were deleted), and would become the new run's fallback; it goes, and the checkpoints
    /// only it named go at the first save.</summary>
    public static void DropStrayPrevious(string runDirectory)
    {
        string previous = Path.Combine(runDirectory, Previous + ".json");
        if (File.Exists(previous)) File.Delete(previous);
    }

    /// <summary>Whether the folder holds a checkpoint (last.json or best.json): what RequireNoRun refuses.</summary>
    public static bool HoldsRun(string runDirectory) =>
        File.Exists(Path.Combine(runDirectory, Last + ".json")) || File.Exists(Path.Combine(runDirectory, Best + ".json"));

    /// <summary>An --out folder holding another command's output (a run, a checkpoint, an image cache), which
    /// <paramref name="command"/> leaves as it is, --force or not: the folder would end up holding both.</summary>
    public static string HoldsOtherOutput(string folder, string what, string command) =>
        $"--out {folder}: holds {what}, which {command} does not replace, --force or not; use another --out";

    /// <summary>What shows that <paramref name="folder"/> holds (or held) a training run rather than nothing or an
    /// import, for commands that must not write over one: a file only training writes, or a sidecar recording a
    /// training recipe. Null when there is none.</summary>
    public static string? TrainingRunEvidence(string folder) =>
        RecordedRunEvidence(folder)
        // A lock file alone is a run only while a train holds it (before its first checkpoint): one left by a train
        // that failed in an earlier version, in a folder holding nothing else, is not.
        ?? (RunFolderLock.HeldElsewhere(folder) ? $"{RunFolderLock.FileName}, held by a convnet train now" : null);

    /// <summary>TrainingRunEvidence but for the lock: what a training run wrote into <paramref name="folder"/>.</summary>
    internal static string? RecordedRunEvidence(string folder)
    {
        foreach (string name in new[] { MetricsLog.JsonFile, MetricsLog.CsvFile, StepLog.FileName, ImageTrainingData.ScanFile, ReplacedRun.FolderName })
            if (Path.Exists(Path.Combine(folder, name))) return name;
        foreach (var tag in new[] { Last, Best, Previous })
            if (File.Exists(Path.Combine(folder, tag + ".json")) && ReadSidecar(Path.Combine(folder, tag + ".json")) is { Config: not null })
                return $"{tag}.json records its training recipe";
        return null;
    }

    /// <summary>Finds a checkpoint: a sidecar .json, or a run folder (its best.json, else last.json).</summary>
    /// <param name="verifyMomentum">check the momentum file too (a resume reads it); otherwise only the weights and the
    /// sidecar are checked, and a momentum file deleted to save space stops nothing but a resume</param>
    public static LoadedCheckpoint Open(string path, string preferredTag = Best, bool verifyMomentum = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        // "": the message began ": checkpoint not found", naming nothing.
        if (path.Length == 0) throw new ArgumentException("an empty path names no checkpoint: give a run folder, a checkpoint .json or an imported model's folder", nameof(path));
        // A run that is training replaces its sidecars, then deletes the files the old ones named: a command that read
        // a sidecar just before that finds its weights gone. It reads the new sidecar instead, while they keep changing.
        for (int attempt = 1; ; attempt++)
        {
            string? before = SidecarsNow(path);
            try
            {
                return OpenOnce(path, preferredTag, verifyMomentum);
            }
            catch (CheckpointException) when (attempt < MaxOpenAttempts && before is not null && SidecarsNow(path) != before)
            {
            }
        }
    }

    private const int MaxOpenAttempts = 20;

    // The sidecars a folder or .json path may resolve to, as text (null for other paths): changed when a save replaced one.
    private static string? SidecarsNow(string path)
    {
        IEnumerable<string> sidecars = Directory.Exists(path) ? [Path.Combine(path, Best + ".json"), Path.Combine(path, Last + ".json")]
            : path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? [path] : [];
        var text = new System.Text.StringBuilder();
        foreach (string sidecar in sidecars)
        {
            try { text.Append(IO.InputFile.ReadRegularText(sidecar)).Append('\0'); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException) { text.Append("(none)\0"); }
        }
        return text.Length == 0 ? null : text.ToString();
    }

    // A `train --force` moves the run it replaces into .replaced-run until its own first checkpoint: killed before
    // that, the folder seemed to hold nothing, and the old run looked lost.
    private static string SetAside(string folder)
    {
        if (!Directory.Exists(Path.Combine(folder, ReplacedRun.FolderName))) return "";
        return RunFolderLock.HeldElsewhere(folder)
            ? $"; a convnet train --force is replacing the run that was here, which waits in {ReplacedRun.FolderName} until the new run's first checkpoint"
            : $"; a convnet train --force into it was stopped before its first checkpoint, and the run it was replacing waits in {ReplacedRun.FolderName}: " +
              $"`convnet train --resume {IO.ShellQuote.Word(folder)}` brings it back (and continues it if it was not finished)";
    }

    private static LoadedCheckpoint OpenOnce(string path, string preferredTag, bool verifyMomentum)
    {
        string sidecar = path;
        if (Directory.Exists(path))
        {
            string preferred = Path.Combine(path, preferredTag + ".json");
            string other = Path.Combine(path, (preferredTag == Best ? Last : Best) + ".json");
            sidecar = File.Exists(preferred) ? preferred : File.Exists(other) ? other
                : throw new CheckpointException($"{path}: no checkpoint in this folder (no {preferredTag}.json or {Path.GetFileName(other)})" + SetAside(path));
        }
        else if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            sidecar = SidecarNaming(path) ?? throw new CheckpointException(
                $"{path}: no best.json, last.json or previous.json beside it or in its run folder names this weights file; pass the checkpoint's .json sidecar or its run folder " +
                "(the sidecar names the model and preprocessing), or, for a state dict made elsewhere, import it first (convnet import FILE --model NAME --out DIR) and pass DIR");
        else if (path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
            throw new CheckpointException($"{path}: an ONNX model, not a checkpoint; import it first (convnet import {IO.ShellQuote.Word(path)} --out DIR) and pass DIR");
        if (!File.Exists(sidecar)) throw new CheckpointException($"{sidecar}: checkpoint not found");

        CheckpointInfo info;
        string text = "";
        try
        {
            text = IO.InputFile.ReadRegularText(sidecar);
            info = JsonSerializer.Deserialize<CheckpointInfo>(text, CheckpointInfo.Json)
                ?? throw new CheckpointException($"{sidecar}: empty checkpoint sidecar");
        }
        catch (JsonException e)
        {
            // An image or weights file passed as the checkpoint: the JSON reader's words would quote the byte the text
            // decoder put in place of the file's first one ('0xEF' for a PNG's 0x89).
            if (text.Contains('\uFFFD') || text.Contains('\0'))
                throw new CheckpointException($"{sidecar}: not a checkpoint sidecar but a binary file (a checkpoint is a run folder or its .json sidecar)");
            throw new CheckpointException($"{sidecar}: not a valid checkpoint sidecar ({e.Message})");
        }
        catch (InvalidDataException e)
        {
            throw new CheckpointException(e.Message); // a device or an over-large file, named
        }
        if (info.Format != CheckpointInfo.CurrentFormat)
            throw new CheckpointException($"{sidecar}: checkpoint format {info.Format} is not supported (expected {CheckpointInfo.CurrentFormat})");
        Validate(info, sidecar);
        string root = Path.GetDirectoryName(Path.GetFullPath(sidecar))!;
        if (info.Preprocessing is { } preprocessing) Inside(sidecar, root, preprocessing.File);
        string weights = Verified(sidecar, root, info.WeightsFile, info.WeightsSha256);
        string? momentum = info.MomentumFile is null ? null
            : verifyMomentum ? Verified(sidecar, root, info.MomentumFile, info.MomentumSha256) : Inside(sidecar, root, info.MomentumFile);
        return new LoadedCheckpoint(info, sidecar, weights, momentum)
        {
            RecordsConvAlgorithm = info.Config is null || ConfigNames(text, nameof(TrainConfig.ConvAlgorithm)),
            MomentumVerified = verifyMomentum,
        };
    }

    // Whether the sidecar's config names the setting itself, rather than leaving it to its default.
    private static bool ConfigNames(string sidecarText, string setting)
    {
        using var document = JsonDocument.Parse(sidecarText);
        return document.RootElement.TryGetProperty("config", out var config) && config.ValueKind == JsonValueKind.Object
            && config.TryGetProperty(CheckpointInfo.Json.PropertyNamingPolicy?.ConvertName(setting) ?? setting, out _);
    }

    /// <summary>The fields every later step relies on, checked before any is used: a sidecar from a stranger (or a
    /// damaged disk) is refused by name instead of failing somewhere deeper.</summary>
    private static void Validate(CheckpointInfo info, string sidecar)
    {
        if (Problem(info) is { } problem) throw new CheckpointException($"{sidecar}: not a usable checkpoint: it {problem}");
    }

    /// <summary>Why a sidecar holding <paramref name="info"/> would be refused when read ("has an input shape of ..."),
    /// or null: for writers (import) to refuse what no command could load, before they write it.</summary>
    public static string? Problem(CheckpointInfo info) =>
        string.IsNullOrWhiteSpace(info.Model) ? "names no model"
        : info.Classes < 1 || info.Classes > 1_000_000 ? $"has {info.Classes} classes (1 to 1,000,000 expected)"
        : info.InputShape is not [var c, var h, var w] ? $"has an input shape of {info.InputShape?.Length ?? 0} dimensions (channels, height, width expected)"
        : c < 1 || h < 1 || w < 1 || c > 4 || h > 4096 || w > 4096 ? $"has an input shape of {c}x{h}x{w} (1-4 channels of at most 4096x4096 expected)"
        : info.ClassNames is null || info.ClassNames.Length != info.Classes ? $"names {info.ClassNames?.Length ?? 0} classes but has {info.Classes}"
        : Data.ClassNames.Problem(info.ClassNames, k => $"at classNames[{k}]") is { } names ? $"has unusable class names: {names}"
        : PreprocessingRules.ChannelOrder(info.ChannelOrder) is { } order ? $"has channelOrder '{info.ChannelOrder}', which must be {order}"
        : info.ResizeShorterSide is { } side && PreprocessingRules.ResizeShorterSide(side, h, w) is { } sides
            ? $"has resizeShorterSide {side}, which must be {sides}"
        : info.TrainedCropPadding is { } trained && PreprocessingRules.CropPadding(trained, h, w) is { } shifts
            ? $"has trainedCropPadding {trained}, which must be {shifts}"
        // Only where it applied: image data ignored --crop-padding (runs from 11-29/30 recorded values up to 40).
        : info.Config is { } config && !config.NotApplied().Contains(nameof(TrainConfig.CropPadding))
            && PreprocessingRules.CropPadding(config.CropPadding, h, w) is { } configShifts
            ? $"has config.cropPadding {config.CropPadding}, which must be {configShifts}"
        : info.NormalizationMean is null || info.NormalizationStd is null || info.NormalizationMean.Length != c || info.NormalizationStd.Length != c
            ? $"has normalisation for {info.NormalizationMean?.Length ?? 0} and {info.NormalizationStd?.Length ?? 0} channels, the input has {c}"
        // A standard deviation so small that 1/std overflows turned every pixel into infinity, and the outputs into NaN.
        : info.NormalizationStd.Any(v => !(v > 0) || !float.IsFinite(v) || !float.IsFinite(1f / v)) || info.NormalizationMean.Any(v => !float.IsFinite(v))
            ? "has a normalisation that is not finite, or a standard deviation that is not positive (or too small to divide by)"
        : string.IsNullOrWhiteSpace(info.WeightsFile) ? "names no weights file"
        // A hand-edited sidecar: counters no run reaches were shown ("epoch -5, step -7"), a NUL or null reached .NET's
        // own words ("Null character in path", "Value cannot be null").
        : info.Epoch < 0 || info.Step < 0 || info.BatchInEpoch < 0
            ? $"has epoch {info.Epoch}, batchInEpoch {info.BatchInEpoch} and step {info.Step}, which cannot be negative"
        : info.History is null || info.History.Any(m => m is null) ? "has a history that is null or holds a null epoch"
        : new[] { info.WeightsFile, info.MomentumFile, info.Preprocessing?.File }.Any(f => f is not null && f.Contains('\0'))
            ? "names a file with a NUL character in its name"
        : info.Schedule is { } schedule && !(schedule.LearningRate >= 0 && float.IsFinite(schedule.LearningRate))
            ? $"has a schedule whose learning rate is {schedule.LearningRate} (a finite number, 0 or more, expected)"
        : info.Preprocessing is { } p && (string.IsNullOrWhiteSpace(p.File) || string.IsNullOrWhiteSpace(p.Kind) || p.Sha256 is null)
            ? "has a preprocessing record without its kind, file or checksum"
        : info.Preprocessing is { } q && (q.Size < 1 || q.Size > PreprocessingRules.MaxResizeShorterSide || q.CropSize < 1 || q.CropSize > q.Size)
            ? $"has a preprocessing record of {q.CropSize}-pixel crops from {q.Size}-pixel squares (crops of 1 to the square's size, squares up to 65,536 expected)"
        : null;

    /// <summary>The checkpoint to resume a run from: last.json, or, when its files are missing or fail their SHA-256
    /// (a damaged disk, a flipped byte), the one before it (previous.json), which then becomes last.json again so
    /// later saves keep a good chain. <paramref name="warn"/> hears why the fallback was taken.</summary>
    public static LoadedCheckpoint OpenForResume(string runDirectory, Action<string> warn)
    {
        if (File.Exists(runDirectory))
            throw new CheckpointException($"{runDirectory}: a file, not a run folder; a run is resumed from its folder, which continues from its last.json");
        if (!Directory.Exists(runDirectory)) throw new CheckpointException($"{runDirectory}: no such run folder");
        string last = Path.Combine(runDirectory, Last + ".json"), previous = Path.Combine(runDirectory, Previous + ".json");
        if (!File.Exists(last)) return Open(runDirectory, Last, verifyMomentum: true); // best.json only, or a clear "no checkpoint" error
        try
        {
            return Open(last, verifyMomentum: true);
        }
        catch (CheckpointException damaged) when (File.Exists(previous))
        {
            LoadedCheckpoint fallback;
            try { fallback = Open(previous, verifyMomentum: true); }
            catch (CheckpointException second)
            {
                // Both damaged: say so, and name what may still be whole.
                string best = Path.Combine(runDirectory, Best + ".json");
                throw new CheckpointException($"{damaged.Message}; the checkpoint before it cannot be used either ({second.Message})" +
                    (File.Exists(best) ? $"; {best} may still be whole: `convnet eval --checkpoint {IO.ShellQuote.Word(best)}` checks it, and a run can start from its weights" : ""));
            }
            try { AtomicFile.WriteAllText(last, IO.InputFile.ReadRegularText(previous), followLinks: false); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CheckpointException($"{damaged.Message}; resuming from {previous} (step {fallback.Info.Step}) needs it copied over {last}, " +
                    $"which failed ({e.Message}): make the run folder writable");
            }
            warn($"warning: {damaged.Message}; resuming from the checkpoint before it, {previous} (step {fallback.Info.Step}), " +
                $"now copied over {last}, so the steps after it are trained again");
            return Open(last, verifyMomentum: true);
        }
    }

    /// <summary>Throws a clear error when files cannot be created in the run folder (read-only, or not ours), before
    /// any work is done that could not be saved.</summary>
    public static void RequireWritable(string runDirectory)
    {
        Probe(runDirectory, e => NotWritable(runDirectory, e));
        // The weights go to checkpoints/: a resumed run whose checkpoints/ is read-only trained a whole epoch, then
        // failed on the save naming a temporary file.
        string checkpoints = Path.Combine(runDirectory, "checkpoints");
        if (Directory.Exists(checkpoints))
            Probe(checkpoints, e => new CheckpointException($"{checkpoints}: the run's checkpoints folder is not writable ({e.Message}); " +
                "checkpoints could not be saved. Make it writable"));
    }

    private static void Probe(string folder, Func<Exception, CheckpointException> notWritable)
    {
        string probe = Path.Combine(folder, $".write-test-{Environment.ProcessId}");
        try
        {
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw notWritable(e);
        }
    }

    public static CheckpointException NotWritable(string runDirectory, Exception cause) =>
        new($"{runDirectory}: the run folder is not writable ({cause.Message}); checkpoints could not be saved. " +
            "Make it writable, or train into another --out");

    /// <summary>Points the run's older sidecars (best.json, previous.json) that name the data at <paramref name="from"/> at
    /// <paramref name="to"/>, where --resume --data said it has moved; every other byte of them stays as it was.</summary>
    /// <returns>a warning for the user when a sidecar could not be read or rewritten (the checkpoint just saved stands),
    /// else null</returns>
    public static string? RecordDataMoved(string runDirectory, string from, string to)
    {
        foreach (var tag in new[] { Best, Previous })
        {
            string sidecar = Path.Combine(runDirectory, tag + ".json");
            try
            {
                if (!File.Exists(sidecar)) continue;
                if (System.Text.Json.Nodes.JsonNode.Parse(IO.InputFile.ReadRegularText(sidecar)) is { } root && root["config"] is System.Text.Json.Nodes.JsonObject config
                    && config["data"]?.GetValueKind() == JsonValueKind.String && config["data"]!.GetValue<string>() == from)
                {
                    config["data"] = to;
                    AtomicFile.WriteAllText(sidecar, root.ToJsonString(CheckpointInfo.Json), followLinks: false);
                }
            }
            catch (JsonException) { } // damaged: Open names it when it is used
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return $"warning: {sidecar} still names the data at {from} ({e.Message}); eval and show on it need --data {IO.ShellQuote.Word(to)}";
            }
        }
        return null;
    }

    /// <summary>The sidecar (best.json, else last.json, else previous.json, in the file's folder or the run folder above checkpoints/)
    /// that names <paramref name="weightsPath"/> as its weights, or null.</summary>
    public static string? SidecarNaming(string weightsPath)
    {
        string file = Path.GetFullPath(weightsPath);
        string? folder = Path.GetDirectoryName(file);
        foreach (var root in new[] { folder, folder is null ? null : Path.GetDirectoryName(folder) })
        {
            if (root is null) continue;
            foreach (var tag in new[] { Best, Last, Previous })
            {
                string sidecar = Path.Combine(root, tag + ".json");
                if (!File.Exists(sidecar)) continue;
                try
                {
                    var info = JsonSerializer.Deserialize<CheckpointInfo>(IO.InputFile.ReadRegularText(sidecar), CheckpointInfo.Json);
                    if (info is { WeightsFile: { } named } && !named.Contains('\0') && Path.GetFullPath(Path.Combine(root, named)) == file) return sidecar;
                }
                catch (Exception e) when (e is JsonException or InvalidDataException)
                {
                    // A damaged sidecar (not JSON, no regular file) names nothing; Open reports it if the user passes it.
                }
            }
        }
        return null;
    }

    /// <summary>Builds the checkpoint's network with its weights loaded.</summary>
    public static Network LoadNetwork(LoadedCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var info = checkpoint.Info;
        ModelSpec spec;
        try
        {
            spec = info.Spec is not null
                ? ModelSpecJson.FromJson(info.Spec, checkpoint.SidecarPath)
                : ModelRegistry.Spec(info.Model, new ModelOptions(info.Classes, info.BiasInit, info.InputShape[0], info.InputShape[1]));
        }
        catch (ArgumentException e) when (!e.Message.StartsWith(checkpoint.SidecarPath, StringComparison.Ordinal))
        {
            throw new CheckpointException($"{checkpoint.SidecarPath}: {e.Message}");
        }
        if (!spec.InputShape.SequenceEqual(info.InputShape))
            throw new CheckpointException($"{checkpoint.SidecarPath}: model {info.Model} takes input {string.Join("x", spec.InputShape)}, the checkpoint says {string.Join("x", info.InputShape)}");
        var network = NetworkBuilder.Build(spec);
        SafeTensorsContent weights;
        try
        {
            weights = SafeTensorsFile.Read(checkpoint.WeightsPath);
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException && !Path.Exists(checkpoint.WeightsPath))
        {
            throw new CheckpointException($"{checkpoint.SidecarPath}: {checkpoint.WeightsPath} was deleted after the sidecar was read (a run " +
                "training in this folder deletes old checkpoints as it saves new ones): run the command again");
        }
        RequireSidecarAgreesWithWeights(checkpoint, weights.Metadata);
        // The file matched its checksum, so names that fit with shapes that do not are the layout of the version that saved it.
        if (info.Spec is null && OlderLayouts.Difference(network, weights.Tensors) is { } difference)
            throw OlderLayouts.Refusal(checkpoint, difference);
        WeightLoader.Load(network, weights.Tensors, checkpoint.WeightsPath);
        return network;
    }

    // The weights file records the model and its classes too, under its checksum: a sidecar edited to another model was
    // diagnosed as an older version's layout, and reordered class names labelled every answer with another class.
    private static void RequireSidecarAgreesWithWeights(LoadedCheckpoint checkpoint, IReadOnlyDictionary<string, string> metadata)
    {
        var info = checkpoint.Info;
        string? model = metadata.GetValueOrDefault(ModelMetadata.ModelKey) ?? metadata.GetValueOrDefault(ModelFiles.OlderModelKey);
        if (model is not null && model != info.Model)
            throw new CheckpointException($"{checkpoint.SidecarPath}: says model {info.Model}, but its weights file {checkpoint.WeightsPath} was saved as " +
                $"model {model}: the sidecar was edited or belongs to other weights");
        if (metadata.GetValueOrDefault(ModelMetadata.ClassNamesKey) is { } text)
        {
            string[]? names;
            try { names = JsonSerializer.Deserialize<string[]>(text); }
            catch (JsonException) { names = null; }
            if (names is not null && !names.SequenceEqual(info.ClassNames))
                throw new CheckpointException($"{checkpoint.SidecarPath}: its class names ({Data.ClassNames.Preview(info.ClassNames, 3)}) are not those its weights file " +
                    $"{checkpoint.WeightsPath} was saved with ({Data.ClassNames.Preview(names, 3)}): the sidecar was edited or belongs to other weights");
        }
    }

    /// <summary>The mean image a checkpoint trained on image data names in its sidecar (checked against its SHA-256).</summary>
    public static Data.Images.PaperPreprocessing LoadPreprocessing(LoadedCheckpoint checkpoint)
    {
        if (checkpoint.Info.Preprocessing is null)
            throw new ArgumentException($"{checkpoint.SidecarPath}: was not trained on image data (no mean image recorded); evaluate it on the dataset it was trained on");
        return Data.Images.PaperPreprocessing.Load(VerifiedPreprocessingPath(checkpoint));
    }

    /// <summary>The mean image file a checkpoint's sidecar names, after checking it against the SHA-256 recorded there:
    /// everything that reads it (evaluation, export) must refuse one recomputed or damaged since.</summary>
    public static string VerifiedPreprocessingPath(LoadedCheckpoint checkpoint)
    {
        var info = checkpoint.Info.Preprocessing ?? throw new ArgumentException($"{checkpoint.SidecarPath}: records no mean image");
        string path = PreprocessingPath(checkpoint);
        if (info.Sha256.Length > 0 && !string.Equals(Checkpoints.Sha256(path), info.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new CheckpointException($"{checkpoint.SidecarPath}: {path} does not match the checksum the sidecar records (the run folder's mean image was recomputed or damaged)");
        return path;
    }

    /// <summary>Restores SGD velocities saved with the checkpoint.</summary>
    public static void LoadMomentum(LoadedCheckpoint checkpoint, Sgd sgd)
    {
        if (checkpoint.MomentumPath is null) throw new CheckpointException($"{checkpoint.SidecarPath}: has no optimiser state to resume from");
        if (!checkpoint.MomentumVerified)
            Verified(checkpoint.SidecarPath, Path.GetDirectoryName(Path.GetFullPath(checkpoint.SidecarPath))!, checkpoint.Info.MomentumFile!, checkpoint.Info.MomentumSha256);
        var byName = SafeTensorsFile.Read(checkpoint.MomentumPath).Tensors.ToDictionary(t => t.Name);
        for (int i = 0; i < sgd.Parameters.Count; i++)
        {
            var p = sgd.Parameters[i];
            if (!byName.TryGetValue(p.Name, out var t) || t.Data.Length != p.Value.Length)
                throw new CheckpointException($"{checkpoint.MomentumPath}: momentum for {p.Name} is missing or has the wrong size");
            sgd.Velocities[i].CopyFrom(t.Data);
        }
    }

    /// <summary>The mean image (and colour PCA) file an image-trained checkpoint names: inside its folder, present, and
    /// a regular file; its checksum is the caller's to check.</summary>
    public static string PreprocessingPath(LoadedCheckpoint checkpoint)
    {
        var info = checkpoint.Info.Preprocessing
            ?? throw new ArgumentException($"{checkpoint.SidecarPath}: was not trained on image data (no mean image recorded)");
        string sidecar = checkpoint.SidecarPath;
        string file = Inside(sidecar, Path.GetDirectoryName(Path.GetFullPath(sidecar))!, info.File);
        if (!File.Exists(file)) throw new CheckpointException($"{sidecar}: names the mean image {file}, which does not exist");
        RequireRegularFile(sidecar, file);
        return file;
    }

    // The files a sidecar names must lie in its own folder (or below it) and be regular files: a sidecar from elsewhere
    // cannot make us read /etc/passwd or hash /dev/zero for ever.
    private static string Inside(string sidecar, string root, string relative)
    {
        string file = Path.GetFullPath(Path.Combine(root, relative));
        string inside = Path.TrimEndingDirectorySeparator(root) + Path.DirectorySeparatorChar;
        if (Path.IsPathRooted(relative) || !file.StartsWith(inside, StringComparison.Ordinal))
            throw new CheckpointException($"{sidecar}: names {relative}, which is not inside the checkpoint's folder {root}");
        return file;
    }

    // Links followed: a weights file linked to /dev/zero (seekable, so the old test of CanSeek passed it) was hashed for ever.
    private static void RequireRegularFile(string sidecar, string file)
    {
        var status = IO.FileStatus.Of(file);
        if (status is { Kind: not IO.FileKind.Regular } special)
            throw new CheckpointException($"{sidecar}: names {file}, which is not a regular file ({IO.FileStatus.Describe(special.Kind)})");
        if (status is null) // no statx: what .NET can tell
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
            if (!stream.CanSeek) throw new CheckpointException($"{sidecar}: names {file}, which is not a regular file");
        }
    }

    private static string Verified(string sidecar, string root, string relative, string? sha256)
    {
        string file = Inside(sidecar, root, relative);
        if (Directory.Exists(file)) throw new CheckpointException($"{sidecar}: names {file}, which is a folder, not a weights file");
        if (!File.Exists(file)) throw new CheckpointException($"{sidecar}: names {file}, which does not exist");
        try
        {
            RequireRegularFile(sidecar, file);
            if (sha256 is null || !string.Equals(Sha256(file), sha256, StringComparison.OrdinalIgnoreCase))
                throw new CheckpointException($"{sidecar}: {file} does not match the checksum the sidecar records (corrupt or half-written)");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) // deleted while it was read
        {
            throw new CheckpointException($"{sidecar}: names {file}, which does not exist");
        }
        return file;
    }

    /// <summary>The first of last.json, best.json and previous.json that exists but cannot be read, or null. While one
    /// cannot be read, Save deletes no old checkpoint (it may be the one that sidecar names), so checkpoints/ grows.</summary>
    public static string? UnreadableSidecar(string runDirectory)
    {
        foreach (var tag in new[] { Last, Best, Previous })
        {
            string sidecar = Path.Combine(runDirectory, tag + ".json");
            if (File.Exists(sidecar) && ReadSidecar(sidecar) is not { WeightsFile: not null }) return sidecar;
        }
        return null;
    }

    // The sidecar's contents, or null when it is not a readable sidecar (empty, cut, not JSON).
    private static CheckpointInfo? ReadSidecar(string sidecar)
    {
        try { return JsonSerializer.Deserialize<CheckpointInfo>(IO.InputFile.ReadRegularText(sidecar), CheckpointInfo.Json); }
        catch (Exception e) when (e is JsonException or InvalidDataException) { return null; } // not JSON, too large, or no regular file
    }

    // The files the sidecars name (full paths); null when a sidecar cannot be read (it may name any of them).
    private static HashSet<string>? Referenced(string runDirectory)
    {
        var named = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tag in new[] { Last, Best, Previous })
        {
            string sidecar = Path.Combine(runDirectory, tag + ".json");
            if (!File.Exists(sidecar)) continue;
            if (ReadSidecar(sidecar) is not { WeightsFile: { } weights } info) return null;
            named.Add(Path.GetFullPath(Path.Combine(runDirectory, weights)));
            if (info.MomentumFile is not null) named.Add(Path.GetFullPath(Path.Combine(runDirectory, info.MomentumFile)));
        }
        return named;
    }

    /// <summary>Whether checkpoints/ is a link (to a bigger disk, or another run's checkpoints/): only what this
    /// process wrote there is its own to delete; older checkpoints stay.</summary>
    public static bool CheckpointsLinked(string runDirectory) =>
        new DirectoryInfo(Path.Combine(runDirectory, "checkpoints")).LinkTarget is not null;

    // Deletes the checkpoints no sidecar names; returns, without deleting anything, a sidecar that cannot be read.
    // Through a linked checkpoints/ only what this process wrote goes: a copy of a run whose checkpoints/ linked the
    // first run's deleted every checkpoint of it that the copy's own sidecars did not name.
    private static string? RemoveUnreferenced(string runDirectory, ISet<string>? writtenHere)
    {
        var keep = Referenced(runDirectory);
        if (keep is null) return UnreadableSidecar(runDirectory); // never delete anything when a sidecar cannot be read
        if (CheckpointsLinked(runDirectory))
        {
            foreach (string file in writtenHere?.Where(f => !keep.Contains(f)).ToList() ?? [])
            {
                File.Delete(file);
                writtenHere!.Remove(file);
            }
            return null;
        }
        foreach (var file in Directory.EnumerateFiles(Path.Combine(runDirectory, "checkpoints"), "step-*.safetensors"))
            if (!keep.Contains(Path.GetFullPath(file))) File.Delete(file);
        RemoveUnfinishedWrites(runDirectory);
        return null;
    }

    /// <summary>Deletes the temporary files of writes a killed process never finished (AtomicFile names them
    /// .NAME.PID.tmp), other than this process's own: only while this process holds the run folder's lock.</summary>
    internal static void RemoveUnfinishedWrites(string runDirectory)
    {
        // A linked checkpoints/ may be another run's, whose live writes these could be.
        string[] folders = CheckpointsLinked(runDirectory) ? [runDirectory] : [runDirectory, Path.Combine(runDirectory, "checkpoints")];
        foreach (string folder in folders) AtomicFile.RemoveUnfinished(folder);
    }

    public static string Sha256(string path)
    {
        IO.InputFile.RequireRegular(path); // a link to /dev/zero was hashed for ever
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream));
    }
}

public sealed class CheckpointException(string message) : Exception(message);
