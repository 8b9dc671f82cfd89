// Every error the API gives is JSON: {"error": "what is wrong and what to send instead", "status": N}.
using Microsoft.AspNetCore.Http;

namespace ConvNet.Serving.Http;

public sealed record ApiErrorBody(string Error, int Status);

/// <summary>A request that cannot be answered, with the status code that says why.</summary>
/// <param name="retryAfterSeconds">sent as Retry-After (a 503 for a passing overload)</param>
/// <param name="cause">the server's own failure behind the answer (no memory to decode): logged, as a 500's is</param>
public sealed class ApiException(int status, string message, int? retryAfterSeconds = null, Exception? cause = null) : Exception(message, cause)
{
    public int Status { get; } = status;
    public int? RetryAfterSeconds { get; } = retryAfterSeconds;
}

public static class ApiError
{
    public static IResult Result(int status, string message) => Results.Json(new ApiErrorBody(message, status), statusCode: status);

    public static Task Write(HttpContext context, ApiException e)
    {
        if (e.RetryAfterSeconds is int seconds) context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Write(context, e.Status, e.Message);
    }

    public static Task Write(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ApiErrorBody(message, status));
    }
}
