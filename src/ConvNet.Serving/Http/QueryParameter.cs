// A query parameter's one value. Minimal APIs bind a parameter given twice (?top=1&top=2) to a string joined with a
// comma, which was then refused as a bad value ("got '1,2'", "unknown layer 'fc7,fc6'"): the client is told it gave the
// parameter twice.
using Microsoft.AspNetCore.Http;

namespace ConvNet.Serving.Http;

public static class QueryParameter
{
    /// <returns>the value, or null when the parameter is absent</returns>
    /// <exception cref="ApiException">400 when it is given more than once</exception>
    public static string? Single(HttpRequest request, string name)
    {
        var values = request.Query[name];
        if (values.Count > 1)
            throw new ApiException(StatusCodes.Status400BadRequest,
                $"{name} is given {values.Count} times ({string.Join(", ", values.Select(v => $"{name}={v}"))}): give it once");
        return values.Count == 0 ? null : values[0];
    }
}
