// The one exception type for unreadable or inconsistent data: the message names the file (or spec) and the problem,
// so the CLI can print it as is.
namespace ConvNet.Data;

public sealed class DataException : Exception
{
    public DataException(string message) : base(message) { }

    public DataException(string message, Exception inner) : base(message, inner) { }
}
