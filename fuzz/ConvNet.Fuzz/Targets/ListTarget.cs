// Image list files ("relative/path label" lines), read as `--data list:TRAIN.txt` does.
using System.Text;
using ConvNet.Data.Images;

namespace ConvNet.Fuzz.Targets;

public sealed class ListTarget : FuzzTarget
{
    public override string Name => "list";
    public override string Description => "image list files (ImageListFile.Open, as --data list:TRAIN.txt)";
    public override string InputName => "train.txt";

    public override IEnumerable<Action> Readers(string path, string folder) => [() => ImageListFile.Open(path, null)];

    public override IEnumerable<(string Name, byte[] Bytes)> Seeds()
    {
        yield return ("train.txt", Encoding.UTF8.GetBytes("# path label\nn01440764/a.JPEG 0\n\nn01443537/with space.png 1\nc.jpg\t2\n"));
    }
}
