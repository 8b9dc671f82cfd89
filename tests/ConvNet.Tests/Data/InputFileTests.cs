// Whole-file reads: a pipe (`<(cat x.png)`, /dev/stdin) is read to its end, up to the reader's limit; a device that
// never ends is refused by name.
using ConvNet.IO;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Data;

public sealed class InputFileTests
{
    [Fact]
    public async Task APipeIsReadToItsEnd()
    {
        using var temp = new TempDirectory();
        string fifo = NamedPipe.Make(temp.File("pipe"));
        byte[] sent = [.. Enumerable.Range(0, 200_000).Select(i => (byte)(i * 7))];
        var writer = Task.Run(() => File.WriteAllBytes(fifo, sent));
        Assert.Equal(sent, InputFile.ReadAllBytes(fifo, maxBytes: 1 << 20));
        await writer;
    }

    [Fact]
    public async Task APipeLongerThanTheLimitIsRefusedByName()
    {
        using var temp = new TempDirectory();
        string fifo = NamedPipe.Make(temp.File("pipe"));
        var writer = Task.Run(() =>
        {
            try { File.WriteAllBytes(fifo, new byte[300_000]); }
            catch (IOException) { } // the reader stopped at the limit and closed the pipe
        });
        var e = Assert.Throws<InvalidDataException>(() => InputFile.ReadAllBytes(fifo, maxBytes: 100_000));
        Assert.Contains(fifo, e.Message);
        Assert.Contains("more than the 100,000 bytes", e.Message);
        await writer;
    }

    [Fact]
    public void ADeviceThatNeverEndsIsRefused() =>
        Assert.Contains("/dev/zero: not a regular file", Assert.Throws<InvalidDataException>(() => InputFile.ReadAllBytes("/dev/zero")).Message);
}
