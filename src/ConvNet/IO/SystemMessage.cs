// .NET's I/O messages end with the path they failed on ("Read-only file system : '/data/run/.x.12.tmp'"): inside our
// own message, which names the file the user gave, that path is a repetition, or a hidden temporary file they never named.
namespace ConvNet.IO;

public static class SystemMessage
{
    private static readonly System.Text.RegularExpressions.Regex TrailingPath = new(@"\s*:\s*'[^']*'\s*\.?\s*$");

    /// <summary>Why a file or folder could not be created, in words for the one who asked for it: .NET names the first
    /// part of the path it could not make ("Could not find file '/proc/run'") or says "Access to the path is denied".</summary>
    public static string WhyNotCreated(Exception e) => e switch
    {
        UnauthorizedAccessException => "permission denied",
        FileNotFoundException or DirectoryNotFoundException => "the file system takes no new files there",
        _ => Reason(e),
    };

    /// <summary>The system's reason alone: "Read-only file system", "No space left on device".</summary>
    public static string Reason(Exception e)
    {
        string reason = TrailingPath.Replace(e.Message, "");
        return reason.Length > 0 ? reason : e.Message;
    }
}
