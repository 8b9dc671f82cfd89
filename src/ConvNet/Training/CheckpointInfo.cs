// The JSON sidecar of a checkpoint: everything but the tensors. The tensors live in two safetensors files
// (weights by parameter name, readable by Python's safetensors; SGD velocities under the same names), which the
// sidecar names with their SHA-256, so a checkpoint whose files do not match is never used.
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace ConvNet.Training;

public sealed record CheckpointInfo
{
    public const int CurrentFormat = 1;
    public int Format { get; init; } = CurrentFormat;
    public required string Model { get; init; }
    public required int Classes { get; init; }
    public required int[] InputShape { get; init; }
    public float BiasInit { get; init; } = 1f;
    public required string[] ClassNames { get; init; }
    public required float[] NormalizationMean { get; init; }
    public required float[] NormalizationStd { get; init; }
    /// <summary>Channel order the model expects from image files: RGB, or BGR (Caffe-trained models).</summary>
    public string ChannelOrder { get; init; } = "RGB";
    /// <summary>When set, image files are rescaled so the shorter side has this length, then centre-cropped to the
    /// input size (ImageNet models); otherwise they are resized to the input size.</summary>
    public int? ResizeShorterSide { get; init; }
    /// <summary>Imports of a run trained here on images of the model's size: the shifts (its --crop-padding) and
    /// mirrors (--flip) that training used, from the export's metadata, so --ten-crop averages the views it saw; null
    /// when unknown (a trained run's own are in Config).</summary>
    public int? TrainedCropPadding { get; init; }
    /// <inheritdoc cref="TrainedCropPadding"/>
    public bool? TrainedMirror { get; init; }
    /// <summary>The layer list, for models that are not in the registry (imported ONNX graphs).</summary>
    public JsonObject? Spec { get; init; }
    /// <summary>Where imported weights came from.</summary>
    public string? Source { get; init; }
    /// <summary>Completed epochs before the current one (0-based index of the epoch in progress).</summary>
    public int Epoch { get; init; }
    /// <summary>Batches of <see cref="Epoch"/> already done (0 at an epoch boundary).</summary>
    public int BatchInEpoch { get; init; }
    public long Step { get; init; }
    public TrainConfig? Config { get; init; }
    public ScheduleState? Schedule { get; init; }
    public EpochAccumulator? Accumulator { get; init; }
    public double ElapsedSeconds { get; init; }
    /// <summary>Image data only: the fitted preprocessing (mean image) an evaluation must apply. Absent for in-memory
    /// datasets, whose NormalizationMean/Std say everything.</summary>
    public PreprocessingInfo? Preprocessing { get; init; }
    /// <summary>In-memory datasets (IDX, CIFAR-10, Fashion-MNIST): SHA-256 of the whole training split's pixels and
    /// labels, so a resume on other data of the same shape is refused. Absent for image files (the mean image's
    /// checksum does that) and in runs saved before it was recorded.</summary>
    public string? TrainingDataSha256 { get; init; }
    public List<EpochMetrics> History { get; init; } = [];
    public required string WeightsFile { get; init; }
    public required string WeightsSha256 { get; init; }
    public string? MomentumFile { get; init; }
    public string? MomentumSha256 { get; init; }
    public string CreatedUtc { get; init; } = DateTime.UtcNow.ToString("O");

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // A field twice (a hand edit that added one instead of changing it) would leave which value counts unsaid.
        AllowDuplicateProperties = false,
    };
}

/// <summary>The paper's preprocessing of image data: stored squares of Size (shorter side rescaled, centre crop), the
/// mean image and colour PCA in File (safetensors, relative to the sidecar's folder), inputs of CropSize.</summary>
public sealed record PreprocessingInfo(string Kind, string File, string Sha256, int Size, int CropSize);
