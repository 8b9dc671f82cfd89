// Reads the uploaded image from a request: the raw body (image/*, application/octet-stream, or no Content-Type) or
// the one file of a multipart form (its field is named image by the API document; any name is taken). Kestrel's
// body-size limit stops oversized uploads while they are read; the image header is checked (format, declared pixels)
// before any pixel is decoded.
using ConvNet.Data.Images;
using ConvNet.Inference;
using Microsoft.AspNetCore.Http;

namespace ConvNet.Serving.Http;

public static class ImageBody
{
    public const string Accepted = "image/jpeg, image/png, application/octet-stream or multipart/form-data";

    /// <exception cref="ApiException">400, 413 or 415 naming the problem</exception>
    public static async Task<byte[]> ReadAsync(HttpRequest request, CancellationToken cancel)
    {
        byte[] bytes;
        try
        {
            bytes = request.HasFormContentType && request.ContentType!.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase)
                ? await FromFormAsync(request, cancel)
                : await FromBodyAsync(request, cancel);
        }
        catch (BadHttpRequestException e)
        {
            throw new ApiException(e.StatusCode, e.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? $"the request body is larger than the server's limit ({e.Message})"
                : $"the request body could not be read ({e.Message})");
        }
        catch (InvalidDataException e)
        {
            // Malformed multipart (bad boundary, a section over the limits) surfaces here.
            throw new ApiException(StatusCodes.Status400BadRequest, $"malformed multipart body: {e.Message}");
        }
        catch (IOException e) when (request.HasFormContentType)
        {
            // A multipart body that ends before its closing boundary: the form reader's "unexpected end of stream".
            throw new ApiException(StatusCodes.Status400BadRequest, $"malformed multipart body: {e.Message}");
        }
        if (bytes.Length == 0)
            throw new ApiException(StatusCodes.Status400BadRequest, "empty image: send a JPEG or PNG as the request body or as a multipart file");
        return bytes;
    }

    private static async Task<byte[]> FromBodyAsync(HttpRequest request, CancellationToken cancel)
    {
        string? type = request.ContentType;
        if (type is not null && !type.StartsWith("image/", StringComparison.OrdinalIgnoreCase)
            && !type.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase))
            throw new ApiException(StatusCodes.Status415UnsupportedMediaType, $"Content-Type {type} is not an image: send {Accepted}");
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancel);
        return buffer.ToArray();
    }

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
    /// an image format other than JPEG/PNG 415, more pixels than the limit 413; anything else unusable 400.</summary>
    public static float[] Prepare(byte[] encoded, ImageInput input)
    {
        var sample = System.Buffers.ArrayPool<float>.Shared.Rent(input.SampleLength);
        if (input.TryWrite(encoded, sample.AsSpan(0, input.SampleLength), out var headerProblem) is { } reason)
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
}
