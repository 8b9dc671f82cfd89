// What else a class folder can hold besides images. A named pipe (FIFO) was opened like a file, and opening one blocks
// until some process writes to it: prepare and train hung for ever. It is now skipped as "not a regular file", as a
// link to /dev/zero was, without being opened.
using ConvNet.Data.Images;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Data.Images;

public sealed class SpecialFilesInImageFoldersTests
{
    [Fact]
    public async Task ANamedPipeIsSkippedWithoutBeingOpened()
    {
        using var temp = new TempDirectory();
        SyntheticImages.WriteFolder(temp.Combine("photos"), perClass: 2, seed: 1);
        string pipe = NamedPipe.Make(temp.Combine("photos", "disc", "x.jpg"));
        var store = ImageDataSpec.Open("folder:" + temp.Combine("photos")).Train;
        var scan = Task.Run(() => ImageScan.Run(store, threads: 1, statistics: false));
        if (await Task.WhenAny(scan, Task.Delay(TimeSpan.FromSeconds(60))) != scan)
        {
            using (new FileStream(pipe, FileMode.Open, FileAccess.Write)) { } // lets the blocked reader go
            Assert.Fail("the scan blocked opening the named pipe");
        }
        var skipped = Assert.Single((await scan).Skipped);
        Assert.Equal(pipe, skipped.Path);
        Assert.Equal("not a regular file (a named pipe)", skipped.Reason);
    }

    [Fact]
    public void PrepareSkipsANamedPipeAndFinishes()
    {
        using var temp = new TempDirectory();
        SyntheticImages.WriteFolder(temp.Combine("photos"), perClass: 2, seed: 1);
        string pipe = NamedPipe.Make(temp.Combine("photos", "disc", "x.jpg"));
        var result = CliRunner.Run(TimeSpan.FromMinutes(2), "prepare", "--data", "folder:" + temp.Combine("photos"), "--out", temp.Combine("cache"), "--threads", "1");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains($"skipped {pipe}: not a regular file (a named pipe)", result.Stdout);
    }

    // The dataset rule must not reach images a user names: predict on an image-trained run read `<(cat x.png)` and
    // /dev/stdin through this store, and the first version of the check refused them as "not a regular file".
    [Fact]
    public async Task AnImageTheUserNamesMayBeAPipe()
    {
        using var temp = new TempDirectory();
        SyntheticImages.WriteFolder(temp.Combine("photos"), perClass: 1, seed: 1);
        string image = Directory.EnumerateFiles(temp.Combine("photos"), "*", SearchOption.AllDirectories).First();
        var expected = new byte[3 * 64 * 64];
        SquareImageDecoder.Decode(image, 64, expected);
        string pipe = NamedPipe.Make(temp.Combine("pipe.png"));
        var writer = Task.Run(() => File.WriteAllBytes(pipe, File.ReadAllBytes(image)));
        var store = new FileImageStore(new ImageFileSet("images", [new ImageFile(pipe, 0)], ["a"]), 64, userNamed: true);
        var actual = new byte[3 * 64 * 64];
        store.Read(0, actual);
        await writer;
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void ALinkToADeviceIsNamedAsOne()
    {
        using var temp = new TempDirectory();
        string link = temp.Combine("zero.jpg");
        File.CreateSymbolicLink(link, "/dev/zero");
        Assert.Equal("not a regular file (a character device)", SquareImageDecoder.TryDecode(link, 256, new byte[3 * 256 * 256]));
    }
}
