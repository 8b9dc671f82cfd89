// ASP.NET's form reader says what is wrong with a multipart body in its own terms: its limits' names ("Line length
// limit 100 exceeded.") or its streams ("Unexpected end of Stream, the content may have already been read by another
// component."). The client is told in multipart's terms what to fix; a reader message this table does not know gets
// a general one rather than the framework's words.
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace ConvNet.Serving.Http;

public static class MultipartProblem
{
    private const string HowToSend = "send the image as one file part, as curl -F image=@cat.jpg does, or as the request body";

    // A fragment of the form reader's message, the status, and what the client is told (boundary in {0}).
    private static readonly (string Fragment, int Status, string Words)[] Known =
    [
        // Before "header length limit" and "boundary": the reader words this one "Multipart header length limit 16384
        // exceeded. Too much data before the first boundary.", which the catch-all took for a missing boundary.
        ("before the first boundary", 400, "more than 16,384 bytes come before its first boundary line --{0} (a form starts with its boundary line)"),
        ("Line length limit", 400, "a boundary line --{0} does not end with CRLF (multipart lines end with \\r\\n, not \\n alone)"),
        ("Content-Disposition", 400, "a part has no Content-Disposition: form-data header (a file part needs one, e.g. Content-Disposition: form-data; name=\"image\"; filename=\"cat.jpg\"), or its lines do not end with CRLF"),
        ("value count limit", 400, $"the form has more than {ImageBody.MaxFormFields} fields"),
        ("boundary length limit", 400, "the boundary in its Content-Type is longer than 128 characters (RFC 2046 allows 70)"),
        ("headers length limit", 400, "a part's headers are longer than 16,384 bytes"),
        ("headers count limit", 400, "a part has more than 16 header lines"),
        ("body length limit", 413, "the multipart form is larger than the server's limit on request bodies"),
        ("key length limit", 400, "a field name is longer than 2,048 bytes"),
        ("value length limit", 400, "a text field is longer than 4 MiB (an image goes in a file part)"),
        ("boundary", 400, "its Content-Type names no boundary (multipart/form-data; boundary=...)"),
    ];

    /// <param name="e">what reading the form threw: InvalidDataException for a rule of the format or a limit, IOException
    /// when the body ended before the reader found the boundary it looked for</param>
    public static ApiException Explain(Exception e, HttpRequest request)
    {
        string boundary = Boundary(request) ?? "BOUNDARY";
        if (e is not InvalidDataException)
            return Refuse(400, $"it ends before its closing boundary line --{boundary}--: it was cut short, or its parts are not separated by the boundary its Content-Type names ({boundary})");
        foreach (var (fragment, status, words) in Known)
            if (e.Message.Contains(fragment, StringComparison.OrdinalIgnoreCase))
                return Refuse(status, string.Format(words, boundary));
        return Refuse(400, "it could not be read as multipart/form-data");
    }

    private static ApiException Refuse(int status, string why) =>
        new(status, status == StatusCodes.Status400BadRequest ? $"malformed multipart body: {why}; {HowToSend}" : why);

    private static string? Boundary(HttpRequest request) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var type) && HeaderUtilities.RemoveQuotes(type.Boundary) is { Length: > 0 } b
            ? b.ToString() : null;
}
