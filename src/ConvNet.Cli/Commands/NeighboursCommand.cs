// `convnet neighbours --checkpoint RUN --data D --query IMG [IMG ...] [--k 6] [--layer fc7] --out neighbours.png`: the
// paper's Figure 4, right: for each query image the k training images whose feature vectors are nearest (Euclidean),
// found by an exact search. A query is an image file or SPLIT:N (image N of a split of --data, e.g. test:17).
// `--features feats.npy` reuses the training features `convnet features` wrote instead of computing them again.
// `--json` without `--out` prints the neighbours and draws no sheet.
using System.CommandLine;
using System.Globalization;
using ConvNet.Data;
using ConvNet.Inspection;
using ConvNet.Threading;
using ConvNet.Training;
using ConvNet.Visualization;

namespace ConvNet.Cli.Commands;

public static class NeighboursCommand
{
    public static Command Create()
    {
        var options = new InspectionOptions(defaultSplit: "train");
        var query = new Option<string[]>("--query") { Description = "Query images: files, or SPLIT:N for image N of a split of --data (test:17)", Required = true, AllowMultipleArgumentsPerToken = true, Arity = ArgumentArity.OneOrMore };
        var k = WholeNumberRange.Of(new Option<int>("--k") { Description = "Neighbours per query", DefaultValueFactory = _ => 6 }, WholeNumberRange.AtLeastOne);
        var layer = new Option<string>("--layer") { Description = "Layer whose outputs are compared", DefaultValueFactory = _ => "fc7" };
        var features = new Option<string?>("--features") { Description = "Features of the searched split written by `convnet features` (same checkpoint, layer and data)" };
        var output = new Option<string?>("--out") { Description = "PNG contact sheet to write (needed unless --json, which without it prints the neighbours and draws no sheet)" };
        var json = new Option<bool>("--json") { Description = "Print the neighbours (sources, labels, distances) as JSON; without --out, only that" };
        var command = new Command("neighbours", "Find each query image's nearest training images by their feature vectors (the paper's Figure 4, right)")
        {
            query, k, layer, features, output, json,
        };
        options.AddTo(command);
        command.SetAction(parse =>
        {
            string? target = parse.GetValue(output);
            bool asJson = parse.GetValue(json);
            if (target is null && !asJson)
                throw new ArgumentException("--out: name the PNG contact sheet to write, or give --json to print the neighbours without one");
            if (target is null && GivenOption.Was(parse, options.Force))
                throw new ArgumentException("--force replaces the --out file; with --json alone nothing is written: leave it out");
            if (target is not null) FigureOutput.Check(target, parse.GetValue(options.Force), ".png");
            var loaded = Checkpoints.Open(parse.GetValue(options.Checkpoint)!);
            string layerName = parse.GetValue(layer)!, spec = options.DataSpec(parse, loaded), split = parse.GetValue(options.Split)!;
            int threads = options.ThreadCount(parse), batch = parse.GetValue(options.BatchSize), neighbours = parse.GetValue(k);
            // Before any search; a JSON list has no size limit but the data's.
            if (target is not null) NeighbourSheet.RequireFits(parse.GetValue(query)!.Length, neighbours);
            var network = Checkpoints.LoadNetwork(loaded);
            var probeLayer = NetworkProbe.FindLayer(network, layerName);
            using var pool = new WorkerPool(threads);

            var database = InspectionInputs.ForData(loaded, network, spec, split, threads);
            if (neighbours > database.Count)
                throw new ArgumentException($"--k {neighbours}: the {split} split of {spec} has only {database.Count} images");
            var queries = Queries(parse.GetValue(query)!, loaded, network, spec, threads);
            var (queryRows, dimension) = QueryFeatures(network, queries, probeLayer, batch, pool);

            var search = new NeighbourSearch(queryRows, queries.Count, dimension, neighbours);
            if (parse.GetValue(features) is { } featuresFile)
                SearchFile(search, featuresFile, loaded, layerName, FeatureData(spec, split), database.Count, dimension);
            else
                SearchLive(search, network, database, probeLayer, batch, pool);
            var results = search.Results();

            var sheet = target is null ? null : Sheet(network, queries, results, database, spec, split, layerName);
            var typeface = target is null ? null : FigureOutput.Typeface();
            if (sheet is not null)
            {
                foreach (string note in LabelFont.Notes(typeface, database.ClassNames)) Console.Error.WriteLine(note);
                sheet.SavePng(target!, typeface);
            }
            if (asJson)
            {
                Console.WriteLine(CliJson.Serialize(new
                {
                    image = target, layer = layerName, data = spec, split, k = neighbours,
                    queries = queries.Select((q, i) => new
                    {
                        query = q.Name,
                        neighbours = results[i].Select(n => new { index = n.Index, source = database.Describe(n.Index), label = Label(database, n.Index), distance = n.Distance }),
                    }),
                }));
                return 0;
            }
            var (w, h) = sheet!.Size(typeface);
            Console.WriteLine($"{target}: {queries.Count} queries x {neighbours} neighbours among {database.Count} images ({layerName}, {dimension} values), {w}x{h} pixels");
            for (int i = 0; i < queries.Count; i++)
                Console.WriteLine($"  {queries[i].Name}: " + string.Join(", ", results[i].Select(n =>
                    $"{database.Describe(n.Index)} {Label(database, n.Index)} (d {n.Distance.ToString("G4", CultureInfo.InvariantCulture)})")));
            return 0;
        });
        return command;
    }

    private sealed record Query(string Name, IInspectionImages Images, int Index);

    private static NeighbourSheet Sheet(Models.Network network, List<Query> queries, Neighbour[][] results,
        IInspectionImages database, string spec, string split, string layerName)
    {
        var rows = queries.Select((q, i) => new NeighbourRow(q.Images.Picture(q.Index), Caption(q.Images, q.Index),
            results[i].Select(n => (database.Picture(n.Index), Caption(database, n.Index), n.Distance)).ToList())).ToList();
        // The layer before the data's path: the title is cut at the sheet's width, and a long path cut the layer off.
        return new NeighbourSheet(rows, $"nearest by Euclidean distance of {layerName} outputs ({network.Name}): {split} images of {spec}");
    }

    private static string? Label(IInspectionImages images, int index) => images.Label(index) is var l and >= 0 ? images.ClassNames[l] : null;

    private static string Caption(IInspectionImages images, int index) => Label(images, index) ?? Path.GetFileName(images.Describe(index));

    // Files are read together through predict's preprocessing; SPLIT:N names an image of the data.
    private static List<Query> Queries(string[] given, LoadedCheckpoint loaded, Models.Network network, string spec, int threads)
    {
        var files = given.Where(g => SplitReference(g) is null).ToList();
        var fileImages = files.Count > 0 ? InspectionInputs.ForFiles(loaded, network, files, threads) : null;
        var splits = new Dictionary<string, IInspectionImages>();
        var queries = new List<Query>();
        foreach (string g in given)
        {
            if (SplitReference(g) is not var (split, index)) { queries.Add(new Query(g, fileImages!, files.IndexOf(g))); continue; }
            if (!splits.TryGetValue(split, out var images)) splits[split] = images = InspectionInputs.ForData(loaded, network, spec, split, threads);
            if (index >= images.Count) throw new ArgumentException($"--query {g}: the {split} split of {spec} has images 0..{images.Count - 1}");
            queries.Add(new Query(g, images, index));
        }
        return queries;
    }

    private static (string Split, int Index)? SplitReference(string query)
    {
        int colon = query.IndexOf(':');
        if (colon < 0 || File.Exists(query)) return null;
        if (!InspectionInputs.Splits.Contains(query[..colon]))
        {
            // val:3 looks like a split reference, not a file name: say which splits there are, not "image not found".
            if (colon > 0 && query[..colon].All(char.IsAsciiLetter) && query[(colon + 1)..] is { Length: > 0 } n && n.All(char.IsAsciiDigit))
                throw new ArgumentException($"--query {query}: no such image file, and {query[..colon]} is not a split (use {string.Join(" or ", InspectionInputs.Splits.Select(s => s + ":N"))})");
            return null;
        }
        return int.TryParse(query[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            ? (query[..colon], index)
            : throw new ArgumentException($"--query {query}: {query[..colon]}:N takes an image number from 0");
    }

    private static (float[] Rows, int Dimension) QueryFeatures(Models.Network network, List<Query> queries, Layers.Layer layer, int batch, WorkerPool pool)
    {
        float[]? rows = null;
        int dimension = 0;
        foreach (var group in queries.Select((q, i) => (q, i)).GroupBy(p => p.q.Images))
        {
            var members = group.ToList();
            var probe = new NetworkProbe(network, group.Key, Math.Min(batch, members.Count), pool);
            dimension = layer.Output.Length / probe.Batch;
            rows ??= new float[queries.Count * dimension];
            for (int start = 0; start < members.Count; start += probe.Batch)
            {
                var part = members.Skip(start).Take(probe.Batch).ToList();
                probe.Run(part.Select(p => p.q.Index).ToArray());
                for (int n = 0; n < part.Count; n++) probe.Output(layer, n).CopyTo(rows.AsSpan(part[n].i * dimension, dimension));
            }
        }
        return (rows!, dimension);
    }

    private static void SearchLive(NeighbourSearch search, Models.Network network, IInspectionImages database, Layers.Layer layer, int batch, WorkerPool pool)
    {
        var probe = new NetworkProbe(network, database, Math.Min(batch, database.Count), pool);
        int dimension = layer.Output.Length / probe.Batch;
        var block = new float[probe.Batch * dimension];
        var progress = new ProgressLine($"features {layer.Name}:");
        probe.RunAll((start, rows) =>
        {
            for (int n = 0; n < rows; n++) probe.Output(layer, n).CopyTo(block.AsSpan(n * dimension, dimension));
            search.Add(block.AsSpan(0, rows * dimension), rows);
            progress.Report(start + rows, database.Count);
        });
    }

    /// <summary>How a features file names the data it was computed on: the spec with absolute paths, and the split.</summary>
    public static string FeatureData(string spec, string split) => $"{DatasetSpec.WithAbsolutePaths(spec)} ({split})";

    // A features file must come from the same checkpoint, layer and data: anything else would be a silently wrong answer.
    private static void SearchFile(NeighbourSearch search, string file, LoadedCheckpoint loaded, string layer, string data, int count, int dimension)
    {
        var (sidecar, rows) = FeatureFile.Read(file);
        // The same checkpoint is the same weights: a resumed run's best.json names new ones under the same path. Files
        // from before 2026-11-30 record only the path (relative, as typed), which cannot tell stale features from good.
        if (sidecar.WeightsSha256 is not { } weights)
            throw new ArgumentException($"--features {file}: written before features files recorded their weights (an older convnet); run `convnet features` again");
        if (!string.Equals(weights, loaded.Info.WeightsSha256, StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"--features {file}: computed with {sidecar.Checkpoint} as it was then (other weights), not {loaded.SidecarPath}; run `convnet features` again");
        if (sidecar.Inputs is { } inputs && inputs != FeatureFile.InputsOf(loaded.Info))
            throw new ArgumentException($"--features {file}: computed with {sidecar.Checkpoint}, whose preprocessing differs from {loaded.SidecarPath}'s ({inputs}); run `convnet features` again");
        if (sidecar.Layer != layer) throw new ArgumentException($"--features {file}: holds {sidecar.Layer} outputs, not --layer {layer}");
        if (sidecar.Data != data)
            throw new ArgumentException($"--features {file}: computed on {sidecar.Data}, not {data}");
        if (sidecar.Count != count || sidecar.Dimension != dimension)
            throw new ArgumentException($"--features {file}: {sidecar.Count} x {sidecar.Dimension} values, but {data} has {count} images of {dimension} features");
        for (int start = 0; start < count; start += NearestNeighbours.BlockRows)
        {
            int n = Math.Min(NearestNeighbours.BlockRows, count - start);
            search.Add(rows.AsSpan(start * dimension, n * dimension), n);
        }
    }
}
