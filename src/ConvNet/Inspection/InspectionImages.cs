// The images the inspection commands (show predictions/confusion/activations, features, neighbours, report) look at:
// each one both as the model's input (preprocessed exactly as evaluation does: one centre view, no augmentation) and
// as the picture that input came from, so a figure shows what the network saw.
using ConvNet.Tensors;

namespace ConvNet.Inspection;

/// <summary>An image as bytes, channel-major: 1 channel is grey, 3 are red, green, blue.</summary>
public sealed record Picture(int Channels, int Height, int Width, byte[] Pixels);

public interface IInspectionImages
{
    string Name { get; }
    int Count { get; }
    IReadOnlyList<string> ClassNames { get; }

    /// <summary>The image's class, or -1 when it is not known (image files given on the command line).</summary>
    int Label(int index);

    /// <summary>Where the image comes from: a file path, or the split and index of an in-memory dataset.</summary>
    string Describe(int index);

    /// <summary>Writes the model inputs of <paramref name="indices"/> into the first indices.Length samples of x.</summary>
    void Fill(ReadOnlySpan<int> indices, Tensor x);

    /// <summary>The picture the model input of <paramref name="index"/> is made from (RGB even for a BGR model).</summary>
    Picture Picture(int index);
}
