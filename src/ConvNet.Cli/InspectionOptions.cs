// Options every inspection command shares (the checkpoint, the data and its split, threads and batch size), and the
// probe they build from them: the checkpoint's network on the CPU, where every layer's output can be read.
using System.CommandLine;
using ConvNet.Inspection;
using ConvNet.Threading;
using ConvNet.Training;

namespace ConvNet.Cli;

public sealed class InspectionOptions
{
    /// <summary>What a --checkpoint names, in every command that opens one (Checkpoints.Open).</summary>
    public const string CheckpointHelp = "A run folder (its best checkpoint), a checkpoint .json, an imported model's folder, or a checkpoint's weights .safetensors inside its run folder (the sidecar naming it is read)";

    public Option<string> Checkpoint { get; } = new("--checkpoint") { Description = CheckpointHelp, Required = true };
    public Option<string?> Data { get; } = new("--data") { Description = "Dataset spec (default: the data the run was trained on)" };
    public Option<string> Split { get; }
    public Option<int> Threads { get; } = WholeNumberRange.Of(new Option<int>("--threads") { Description = "Worker threads of the forward passes (and of decoding image data)", DefaultValueFactory = _ => Environment.ProcessorCount }, WholeNumberRange.Threads);
    public Option<int> BatchSize { get; } = WholeNumberRange.Of(new Option<int>("--batch-size") { Description = "Images per forward pass", DefaultValueFactory = _ => 128 },
        WholeNumberRange.AtLeastOne);
    public Option<bool> Force { get; } = new("--force") { Description = "Replace the --out file if it exists" };

    public InspectionOptions(string defaultSplit = "test") =>
        Split = new("--split") { Description = "Which split of --data: test (image data: its val split, else all of it) or train", DefaultValueFactory = _ => defaultSplit };

    public void AddTo(Command command, bool data = true, bool split = true, bool batch = true)
    {
        command.Options.Add(Checkpoint);
        if (data) command.Options.Add(Data);
        if (split) command.Options.Add(Split);
        command.Options.Add(Threads);
        if (batch) command.Options.Add(BatchSize);
        command.Options.Add(Force);
    }

    /// <summary>--data, else the data the run trained on; a checkpoint without a training record needs --data.</summary>
    public string DataSpec(ParseResult parse, LoadedCheckpoint loaded)
    {
        if (parse.GetValue(Data) is { } given) return given; // found or not, the reader names it: it is the user's
        string recorded = loaded.Info.Config?.Data ?? throw NoTrainingData(loaded);
        InspectionInputs.RequireRecordedDataFound(loaded, recorded);
        return recorded;
    }

    /// <summary>A command that defaults to the run's data, given a checkpoint that records none.</summary>
    public static ArgumentException NoTrainingData(LoadedCheckpoint loaded) =>
        new($"--data: {loaded.SidecarPath} records no training data (an imported model); name the dataset with --data");

    public int ThreadCount(ParseResult parse) => parse.GetValue(Threads);

    /// <summary>A probe over <paramref name="images"/> with at most --batch-size images per pass (fewer for a small set);
    /// --batch-size is 1 or more, checked when parsed.</summary>
    public static NetworkProbe Probe(Models.Network network, IInspectionImages images, int batch, WorkerPool pool)
    {
        if (images.Count == 0) throw new ArgumentException($"{images.Name}: no images");
        return new NetworkProbe(network, images, Math.Min(batch, images.Count), pool);
    }
}
