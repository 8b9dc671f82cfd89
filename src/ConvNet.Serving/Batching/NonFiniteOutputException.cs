// An image the network gave NaN outputs for (finite weights that overflow, as a diverged run's): the model's fault, not
// the request's, and not a crash of the server either. The endpoints answer it as an API error and log it once, rather
// than as the catch-all's "internal error" with a stack trace on every request.
namespace ConvNet.Serving.Batching;

public sealed class NonFiniteOutputException(string message) : InvalidOperationException(message);
