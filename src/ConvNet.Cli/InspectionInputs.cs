// The images an inspection command looks at, preprocessed as the checkpoint's own evaluation does: a dataset split
// (--data), or image files named on the command line (labels unknown). One place decides, so `show predictions`,
// `show confusion`, `show activations`, `features`, `neighbours` and `report` all see the inputs `eval` and
// `predict` see.
using ConvNet.Data;
using ConvNet.Data.Images;
using ConvNet.Inspection;
using ConvNet.Models;
using ConvNet.Training;

namespace ConvNet.Cli;

public static class InspectionInputs
{
    public static readonly string[] Splits = ["test", "train"];

    /// <summary>Runs before 2026-11-30 recorded their data's paths as typed: a relative one is found only from the
    /// folder the run was trained in, and elsewhere the reader's "directory not found" named neither the run nor why.
    /// Throws, saying so, when <paramref name="spec"/> is the data the checkpoint recorded and such a path is missing,
    /// or any of its paths (the data moved or was deleted: "directory not found" did not say --data can name it);
    /// for the recorded data only, not a --data given (InspectionOptions.DataSpec), whose reader names it.</summary>
    public static void RequireRecordedDataFound(LoadedCheckpoint loaded, string spec)
    {
        if (spec != loaded.Info.Config?.Data) return;
        if (DatasetSpec.MissingRelativePath(spec) is { } relative)
            throw new DataException($"{spec}: {loaded.SidecarPath} recorded its data by the relative path {relative}, which is not found from " +
                $"{Environment.CurrentDirectory}; run this from the folder it was trained in, or say where the data is with --data");
        if (DatasetSpec.MissingPath(spec) is { } missing)
            throw new DataException($"{spec}: {missing} is not found; {loaded.SidecarPath} recorded this data, so it has moved or was deleted: " +
                "say where it is now with --data");
    }

    /// <summary>Why "test" of the run's own image data, not named with --data, would score images the run trained on:
    /// data without a validation split of its own is read whole (eval refuses it alike). Null when it would not.</summary>
    public static string? TrainedOnImages(LoadedCheckpoint loaded, string spec, string split, bool dataGiven) =>
        !dataGiven && split == "test" && ImageDataSpec.IsImageSpec(spec) && spec == loaded.Info.Config?.Data && !ImageDataSpec.HasOwnValidation(spec)
            ? NoHeldOutImages(spec, loaded.SidecarPath) : null;

    public static string NoHeldOutImages(string spec, string sidecar) =>
        $"{spec}, the data {sidecar} trained on, has no validation split (a val/ folder, a second list file), " +
        "so all of it includes the images the run trained on; name test images with --data";

    /// <summary>A split of <paramref name="spec"/>: "test" (a dataset's test split; image data's val split, else all
    /// of it, as `eval` uses) or "train".</summary>
    public static IInspectionImages ForData(LoadedCheckpoint loaded, Network network, string spec, string split, int threads)
    {
        if (!Splits.Contains(split)) throw new ArgumentException($"--split {split}: must be one of {string.Join(", ", Splits)}");
        if (ImageDataSpec.IsImageSpec(spec))
        {
            var info = loaded.Info;
            int size = info.Preprocessing?.Size ?? SquareImageDecoder.PaperSize;
            IImageStore store;
            if (split == "test") store = ImageDataSpec.OpenForEvaluation(spec, size);
            else
            {
                var splits = ImageDataSpec.Open(spec, size);
                (splits.Validation as IDisposable)?.Dispose();
                store = splits.Train;
            }
            if (store is not PackedImageStore)
            {
                var scan = ImageScan.Run(store, threads, statistics: false, message => Console.Error.WriteLine(message));
                store = new SubsetImageStore(store, scan.Good, store.Name);
            }
            store = RelabeledImageStore.ForModel(store, loaded.Info.ClassNames, spec, loaded.SidecarPath, Console.Error.WriteLine);
            CheckClasses(spec, store.ClassNames.Count, network.Classes, loaded);
            if (store.Count == 0) throw new ArgumentException($"{spec}: its {split} split holds no images that can be read");
            return ForStore(loaded, network, store, spec, threads);
        }
        var data = ClassMatch.ForModel(DatasetSpec.LoadSplit(spec, split), loaded.Info.ClassNames, spec, loaded.SidecarPath, Console.Error.WriteLine);
        // The split's own name ("idx test: no images") named neither the data nor where it is.
        if (data.Count == 0) throw new ArgumentException($"{spec}: its {split} split holds no images");
        int[] shape = [data.Channels, data.Height, data.Width];
        if (!shape.SequenceEqual(network.Spec.InputShape))
            throw new ArgumentException($"{spec} has {string.Join("x", shape)} images, the checkpoint's model takes {string.Join("x", network.Spec.InputShape)}");
        CheckClasses(spec, data.ClassNames.Count, network.Classes, loaded);
        return new DatasetImages(data, Normalization(loaded));
    }

    /// <summary>The images of an opened (and scanned) image store as the checkpoint's model takes them: crops of the
    /// stored squares minus the run's mean image, or, for a model with none (trained on small images, or imported),
    /// each file decoded to the model's input size.</summary>
    public static IInspectionImages ForStore(LoadedCheckpoint loaded, Network network, IImageStore store, string spec, int threads)
    {
        if (loaded.Info.Preprocessing is not null)
            return new StoredImages(store, Commands.EvalCommand.LoadPreprocessing(loaded), network.Spec.InputShape[1], labelsKnown: true, threads);
        return ModelSized(loaded, network, store.Name, FilesFor(loaded, store, spec), store.ClassNames, labelsKnown: true, threads);
    }

    /// <summary>The files of a store the checkpoint reads as files (no mean image): a folder or list, not a prepared cache.</summary>
    public static IReadOnlyList<ImageFile> FilesFor(LoadedCheckpoint loaded, IImageStore store, string spec) =>
        FilesOf(store) ?? throw new ArgumentException(
            $"{spec}: a prepared cache holds images preprocessed for the paper's pipeline; {loaded.SidecarPath} was not trained with it (use the folder: or list: data instead)");

    /// <summary>Image files given by path (their classes unknown), preprocessed as `predict` does.</summary>
    public static IInspectionImages ForFiles(LoadedCheckpoint loaded, Network network, IReadOnlyList<string> paths, int threads)
    {
        var files = RequireImageFiles(paths);
        var names = loaded.Info.ClassNames;
        if (loaded.Info.Preprocessing is { } preprocessing)
        {
            var store = new FileImageStore(new ImageFileSet("images", files, names), preprocessing.Size, userNamed: true);
            return new StoredImages(store, Commands.EvalCommand.LoadPreprocessing(loaded), network.Spec.InputShape[1], labelsKnown: false, threads);
        }
        return ModelSized(loaded, network, "images", files, names, labelsKnown: false, threads);
    }

    /// <summary>The paths as image files of unknown class, each checked to be a file that exists.</summary>
    public static ImageFile[] RequireImageFiles(IReadOnlyList<string> paths)
    {
        foreach (string path in paths)
        {
            ConvNet.IO.InputFile.RequireNotFolder(path, "an image file");
            if (!File.Exists(path)) throw new FileNotFoundException($"{path}: image not found");
        }
        return paths.Select(p => new ImageFile(p, 0)).ToArray();
    }

    private static IInspectionImages ModelSized(LoadedCheckpoint loaded, Network network, string name, IReadOnlyList<ImageFile> files,
        IReadOnlyList<string> classNames, bool labelsKnown, int threads) =>
        new ModelSizedFiles(name, files, classNames, network.Spec.InputShape, Normalization(loaded), loaded.Info.ResizeShorterSide,
            bgr: loaded.Info.ChannelOrder == "BGR", labelsKnown, threads);

    private static Normalization Normalization(LoadedCheckpoint loaded) => new(loaded.Info.NormalizationMean, loaded.Info.NormalizationStd);

    // File-backed stores (a folder or list, possibly with unreadable files left out) describe each image by its path.
    private static IReadOnlyList<ImageFile>? FilesOf(IImageStore store) =>
        IsPacked(store) ? null
            : Enumerable.Range(0, store.Count).Select(i => new ImageFile(store.Describe(i), store.Label(i))).ToArray();

    private static bool IsPacked(IImageStore store) => store switch
    {
        PackedImageStore => true,
        SubsetImageStore subset => IsPacked(subset.Inner),
        RelabeledImageStore relabeled => IsPacked(relabeled.Inner),
        _ => false,
    };

    /// <summary>Refuses data with another number of classes than the checkpoint's model.</summary>
    public static void CheckClasses(string spec, int dataClasses, int modelClasses, LoadedCheckpoint checkpoint)
    {
        if (dataClasses != modelClasses)
            throw new ArgumentException($"{spec} has {dataClasses} classes, but the model of {checkpoint.SidecarPath} has {modelClasses}");
    }
}
