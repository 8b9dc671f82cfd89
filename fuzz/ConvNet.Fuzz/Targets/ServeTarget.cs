// The serve API's request parsing: an input is a Content-Type line and a body, read as /v1/predict reads its image
// (ImageBody.ReadAsync: raw body or the first multipart file) and prepared with a checkpoint's preprocessing
// (ImageBody.Prepare: header check, decode, normalisation). Refusals are ApiException (an HTTP status and a message).
using System.Text;
using ConvNet.Inference;
using ConvNet.Serving.Http;
using ConvNet.Training;
using Microsoft.AspNetCore.Http;

namespace ConvNet.Fuzz.Targets;

public sealed class ServeTarget : FuzzTarget
{
    private const string Boundary = "fuzzboundary";

    private static readonly ImageInput Input = new ModelSizedInput(new CheckpointInfo
    {
        Model = "alexnet-micro", Classes = 10, InputShape = [3, 32, 32], ClassNames = [.. Enumerable.Range(0, 10).Select(i => $"c{i}")],
        NormalizationMean = [0.5f, 0.5f, 0.5f], NormalizationStd = [0.25f, 0.25f, 0.25f], WeightsFile = "w", WeightsSha256 = "",
    }, maxPixels: 50_000_000);

    public override string Name => "serve";
    public override string Description => "serve API request bodies: Content-Type line + body (ImageBody.ReadAsync + Prepare)";
    public override string InputName => "request";
    public override bool MustNameInput => false;
    public override bool IsTypedRefusal(Exception e) => e is ApiException;

    public override IEnumerable<Action> Readers(string path, string folder) => [() => Handle(File.ReadAllBytes(path))];

    private static void Handle(byte[] request)
    {
        int newline = Array.IndexOf(request, (byte)'\n');
        string contentType = Encoding.Latin1.GetString(request, 0, newline < 0 ? request.Length : newline).TrimEnd('\r');
        var context = new DefaultHttpContext();
        if (contentType.Length > 0) context.Request.ContentType = contentType;
        context.Request.Body = new MemoryStream(request, newline < 0 ? request.Length : newline + 1, newline < 0 ? 0 : request.Length - newline - 1);
        var encoded = ImageBody.ReadAsync(context.Request, CancellationToken.None).GetAwaiter().GetResult();
        ImageBody.Prepare(encoded, Input);
    }

    public override IEnumerable<(string Name, byte[] Bytes)> Seeds()
    {
        var png = SeedFiles.Picture(SkiaSharp.SKEncodedImageFormat.Png);
        var jpeg = SeedFiles.Picture(SkiaSharp.SKEncodedImageFormat.Jpeg);
        yield return ("raw-png", [.. "image/png\n"u8, .. png]);
        yield return ("raw-jpeg-no-type", [.. "\n"u8, .. jpeg]);
        yield return ("multipart", [.. Encoding.ASCII.GetBytes($"multipart/form-data; boundary={Boundary}\n--{Boundary}\r\n"
            + "Content-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"),
            .. jpeg, .. Encoding.ASCII.GetBytes($"\r\n--{Boundary}--\r\n")]);
    }
}
