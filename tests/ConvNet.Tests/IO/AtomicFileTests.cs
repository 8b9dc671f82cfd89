// Atomic writes go through a hidden temporary file beside the target; its name must itself be a valid name.
using System.Text;
using ConvNet.IO;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.IO;

public class AtomicFileTests
{
    [Fact]
    public void WritesATargetWhoseNameIs250Bytes()
    {
        // `show filters --out aaa...a.png` (250 bytes) was refused as "path too long": .NAME.PID.tmp is over 255 bytes.
        using var dir = new TempDirectory();
        string path = dir.File(new string('a', 246) + ".png");
        AtomicFile.WriteAllText(path, "figure");
        Assert.Equal("figure", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void TemporaryNamesFitTheLimitStayUniqueAndKeepTheirPattern()
    {
        Assert.Equal(".y.npy.42.tmp", AtomicFile.TempName("y.npy", 42));
        string a = new string('ü', 126) + "a.png", b = new string('ü', 126) + "b.png"; // 257 bytes each, same beginning
        string ta = AtomicFile.TempName(a, int.MaxValue), tb = AtomicFile.TempName(b, int.MaxValue);
        Assert.NotEqual(ta, tb);
        foreach (string t in new[] { ta, tb })
        {
            Assert.True(Encoding.UTF8.GetByteCount(t) <= 255, $"{t}: {Encoding.UTF8.GetByteCount(t)} bytes");
            Assert.StartsWith(".üü", t);
            Assert.EndsWith($".{int.MaxValue}.tmp", t); // what Checkpoints' clean-up of unfinished writes looks for
            Assert.DoesNotContain('\uFFFD', t);
        }
    }
}
