// `convnet prepare --data folder:DIR --out CACHEDIR`: decodes every image once (shorter side 256, centre crop) into a
// packed, memory-mapped cache; train with --data cache:CACHEDIR so later epochs do no JPEG decoding.
using System.CommandLine;
using ConvNet.Data.Images;
using ConvNet.Training;

namespace ConvNet.Cli.Commands;

public static class PrepareCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Image data to pack: folder:DIR or list:TRAIN.txt[,VAL.txt]", Required = true };
        var output = new Option<string>("--out") { Description = "Cache folder to write (train.pack, val.pack, cache.json)", Required = true };
        var threads = WholeNumberRange.Of(new Option<int>("--threads") { Description = "Decoding threads", DefaultValueFactory = _ => Environment.ProcessorCount }, WholeNumberRange.Threads);
        var force = new Option<bool>("--force") { Description = "Replace a cache already in the --out folder" };
        var command = new Command("prepare", "Decode an image dataset once into a packed cache (train from it with --data cache:DIR)") { data, output, threads, force };
        command.SetAction(parse =>
        {
            string directory = parse.GetValue(output)!;
            OutputPaths.RequireNotFile(directory, "--out", "cache folder");
            OutputPaths.RequireOutsideImageFolder(directory, "--out", parse.GetValue(data)!);
            // A run's or an import's folder would end up holding both; train --data cache: reads the cache from anywhere.
            if (Checkpoints.TrainingRunEvidence(directory) is { } run)
                throw new IOException(Checkpoints.HoldsOtherOutput(directory, $"a training run ({run})", "prepare"));
            if (File.Exists(Path.Combine(directory, Checkpoints.Last + ".json")))
                throw new IOException(Checkpoints.HoldsOtherOutput(directory, $"a checkpoint ({Checkpoints.Last}.json)", "prepare"));
            if (File.Exists(Path.Combine(directory, PackedImageCache.InfoFile)) && !parse.GetValue(force))
                throw new IOException($"{directory}: already holds a cache ({PackedImageCache.InfoFile}); choose another --out, or pass --force to replace it");
            using var cleanup = InterruptCleanup.Register(); // an interrupt leaves no .images.tmp or .pack temporary file
            var info = PackedImageCache.Write(parse.GetValue(data)!, directory, parse.GetValue(threads), Console.WriteLine,
                replace: parse.GetValue(force));
            Console.WriteLine($"cache {directory}: {string.Join(", ", info.Splits.Select(s => $"{s.Key} {s.Value:N0}"))} images of {info.Size}x{info.Size}, " +
                $"{info.ClassNames.Length} classes, {info.Skipped.Count} skipped; train with --data {IO.ShellQuote.Word("cache:" + directory)}");
            return 0;
        });
        return command;
    }
}
