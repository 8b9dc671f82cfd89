// A named pipe (FIFO) made with mkfifo: opening one blocks until the other end is opened, which is what the tests of
// pipes given as input and of pipes left in image folders need.
using System.Diagnostics;

namespace ConvNet.Tests.Support;

public static class NamedPipe
{
    public static string Make(string path)
    {
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
        return path;
    }
}
