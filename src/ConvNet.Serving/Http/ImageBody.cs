// Reads the uploaded image from a request: the raw body (image/*, application/octet-stream, or no Content-Type) or
// the one file of a multipart form (its field is named image by the API document; any name is taken), uncompressed (no
// Content-Encoding). Kestrel's body-size limit stops oversized uploads while they are read; the image header is
// checked (format, declared pixels) before any pixel is decoded. Every refusal is said in the client's terms, never in
// Kestrel's or the form reader's.
using ConvNet.Data.Images;
using ConvNet.Inference;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Net.Http.Headers;

namespace ConvNet.Serving.Http;

public static class ImageBody
{
    public const string Accepted = "image/jpeg, image/png, application/octet-stream or multipart/form-data";

    /// <summary>Fields a multipart form may have (the form reader's limit): one image is all a request needs.</summary>
    public const int MaxFormFields = 16;

    /// <exception cref="ApiException">400, 408, 413, 415 or 431 naming the problem</exception>
    public static async Task<byte[]> ReadAsync(HttpRequest request, CancellationToken cancel)
    {
        RequireNoContentCoding(request);
        if (request.Body is not TransferReadStream) request.Body = new TransferReadStream(request.Body);
        byte[] bytes;
        try
        {
            bytes = request.HasFormContentType && request.ContentType!.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase)
                ? await FromFormAsync(request, cancel)
                : await FromBodyAsync(request, cancel);
        }
        catch (BadHttpRequestException e)
        {
            throw Unreadable(request, e.StatusCode);
        }
        catch (TransferFailedException)
        {
            throw new ApiException(StatusCodes.Status400BadRequest, request.Headers.TransferEncoding.Count > 0
                ? "the request body's chunked transfer encoding is malformed: a chunk-size line is not a hexadecimal number below 80000000"
                : "the request body could not be read as sent");
        }
        catch (Exception e) when (e is InvalidDataException || e is IOException && request.HasFormContentType)
        {
            // Malformed multipart (bad boundary, a section over the limits, no closing boundary) surfaces here.
            throw MultipartProblem.Explain(e, request);
        }
        finally
        {
            // Whatever the outcome, the upload is over: the shutdown's rate rule no longer applies to it.
            (request.Body as TransferReadStream)?.ReadingDone();
        }
        if (bytes.Length == 0)
            throw new ApiException(StatusCodes.Status400BadRequest, "empty image: send a JPEG or PNG as the request body or as a multipart file");
        return bytes;
    }

    // Kestrel's reasons name its own settings ("See MinRequestBodyDataRate"): said here with the numbers that apply.
    private static ApiException Unreadable(HttpRequest request, int status) => status switch
    {
        StatusCodes.Status413PayloadTooLarge => new(status, request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize is long limit
            ? FormattableString.Invariant($"the request body is larger than the server's limit of {limit:N0} bytes") : "the request body is larger than the server's limit"),
        StatusCodes.Status408RequestTimeout => new(status, request.HttpContext.Features.Get<IHttpMinRequestBodyDataRateFeature>()?.MinDataRate is { } rate
            ? FormattableString.Invariant($"the request body arrived too slowly: after its first {rate.GracePeriod.TotalSeconds:0.#} s the server needs at least {rate.BytesPerSecond:0} bytes a second; send the image in one go")
            : "the request body arrived too slowly; send the image in one go"),
        // Kestrel reads a chunked body's trailer fields as headers, under the request headers' limits.
        StatusCodes.Status431RequestHeaderFieldsTooLarge => new(status,
            $"the chunked body's trailer fields are over the server's limits on header fields ({TrailerLimits.MaxRequestHeadersTotalSize / 1024} KB in all, {TrailerLimits.MaxRequestHeaderCount} fields); send the image without trailers"),
        _ => new(status, request.ContentLength is long length
            ? FormattableString.Invariant($"the request body ended before its {length:N0} bytes (its Content-Length) arrived")
            : "the request body's chunked transfer encoding is malformed or cut short"),
    };

    private static readonly Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerLimits TrailerLimits = new();

    // The body is read as it comes: a compressed one (Content-Encoding: gzip) was decoded as if it were the image and
    // refused as unreadable, and a plain image sent with the header was taken. RFC 9110 (15.5.16) asks for 415 and an
    // Accept-Encoding naming what is taken.
    private static void RequireNoContentCoding(HttpRequest request)
    {
        var codings = request.Headers.ContentEncoding.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .Where(c => !c.Equals("identity", StringComparison.OrdinalIgnoreCase)).ToList();
        if (codings.Count == 0) return;
        request.HttpContext.Response.Headers.AcceptEncoding = "identity";
        throw new ApiException(StatusCodes.Status415UnsupportedMediaType,
            $"Content-Encoding {string.Join(", ", codings)} is not taken: send the image as it is, without a Content-Encoding (JPEG and PNG are compressed already)");
    }

    private static async Task<byte[]> FromBodyAsync(HttpRequest request, CancellationToken cancel)
    {
        if (request.ContentType is { } type && !IsImageType(type))
            throw new ApiException(StatusCodes.Status415UnsupportedMediaType, $"Content-Type {type} is not an image: send {Accepted}");
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancel);
        return buffer.ToArray();
    }

    // A whole media type, parameters aside: image/<subtype> (the header check refuses formats other than JPEG and PNG
    // with their names) or application/octet-stream. A prefix test took application/octet-streamfoo and image/.
    private static bool IsImageType(string contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var parsed)
        && (parsed.Type.Equals("image", StringComparison.OrdinalIgnoreCase) && parsed.SubType.Length > 0
            || parsed.MediaType.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase));

    private static async Task<byte[]> FromFormAsync(HttpRequest request, CancellationToken cancel)
    {
        var form = await request.ReadFormAsync(cancel);
        // One image a request: answering for the first of several would drop the others without a word.
        if (form.Files.Count > 1)
            throw new ApiException(StatusCodes.Status400BadRequest,
                $"the multipart form has {form.Files.Count} file parts ({string.Join(", ", form.Files.Select(f => f.Name))}): send one image a request, as the field image");
        var file = form.Files.FirstOrDefault()
            ?? throw new ApiException(StatusCodes.Status400BadRequest, "the multipart form has no file part: send the image as a file field (e.g. curl -F image=@cat.jpg)");
        using var buffer = new MemoryStream();
        await file.CopyToAsync(buffer, cancel);
        return buffer.ToArray();
    }

    /// <summary>The checkpoint's own preprocessing into a sample rented from ArrayPool&lt;float&gt;.Shared (InferenceJob
    /// hands it back). What the header alone refuses (the decoder's own rules, nothing decoded) gets its own status:
    /// an image format other than JPEG/PNG 415, more pixels than the limit 413; anything else unusable 400; no memory for the
    /// bitmap 503 with Retry-After.</summary>
    public static float[] Prepare(byte[] encoded, ImageInput input)
    {
        var sample = System.Buffers.ArrayPool<float>.Shared.Rent(input.SampleLength);
        string? reason;
        EncodedImageFile.HeaderProblem? headerProblem;
        try
        {
            reason = input.TryWrite(encoded, sample.AsSpan(0, input.SampleLength), out headerProblem);
        }
        catch (Exception e) when (OutOfMemory(e))
        {
            System.Buffers.ArrayPool<float>.Shared.Return(sample);
            throw new ApiException(StatusCodes.Status503ServiceUnavailable,
                "the server has no memory free to decode this image now (a decode holds 4 bytes a pixel); retry after 1 s, or send a smaller image", 1, e);
        }
        if (reason is not null)
        {
            System.Buffers.ArrayPool<float>.Shared.Return(sample);
            int status = headerProblem switch
            {
                EncodedImageFile.HeaderProblem.UnsupportedFormat => StatusCodes.Status415UnsupportedMediaType,
                EncodedImageFile.HeaderProblem.TooManyPixels => StatusCodes.Status413PayloadTooLarge,
                _ => StatusCodes.Status400BadRequest,
            };
            throw new ApiException(status, $"the image cannot be used: {reason}");
        }
        return sample;
    }

    // Skia's bitmap allocation failing is a plain Exception with this message (SKBitmap's constructor); .NET's own is
    // OutOfMemoryException. Either is the machine's state now, not the image's fault: a 503 (logged, so an operator
    // sees a --max-pixels this machine cannot serve), not a 500.
    private static bool OutOfMemory(Exception e) =>
        e is OutOfMemoryException || e.GetType() == typeof(Exception) && e.Message.StartsWith("Unable to allocate pixels", StringComparison.Ordinal);
}
