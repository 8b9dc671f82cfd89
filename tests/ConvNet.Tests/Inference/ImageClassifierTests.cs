// The library's ImageClassifier (what the NuGet package's example uses, on the same ImageInput as the server) answers
// as `convnet predict` does, for runs trained on model-sized data, on image data, and for imported-style checkpoints
// (shorter side rescaled and centre-cropped, BGR), and refuses a bad image naming it. One instance shared by several
// threads answers as it does alone; its class names cannot be changed from outside; after Dispose every member throws
// ObjectDisposedException, whatever the thread count; null and negative arguments are refused up front.
using ConvNet.Inference;
using ConvNet.Tests.Serving;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Inference;

public class ImageClassifierTests
{
    [Fact]
    public void AClassifierLeftUndisposedEndsItsThreadsOnceCollected()
    {
        // Its worker threads kept it (and its network) alive for the life of the process (pass 50).
        using var temp = new TempDirectory();
        string run = ServeCheckpoints.Write(temp.Combine("run"), imageData: false);
        var pool = OpenAndForget(run);
        for (int i = 0; i < 20 && !pool.ThreadsEnded; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Thread.Sleep(10);
        }
        Assert.True(pool.ThreadsEnded, "the undisposed classifier's worker threads still run");

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        static ConvNet.Threading.WorkerPool OpenAndForget(string run)
        {
            var classifier = ImageClassifier.Open(run, threads: 2);
            Assert.False(classifier.Pool.ThreadsEnded);
            return classifier.Pool;
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void ClassifiesAsPredictDoes(bool imageData, bool importedStyle)
    {
        using var temp = new TempDirectory();
        string run = ServeCheckpoints.Write(temp.Combine("run"), imageData, importedStyle: importedStyle);
        var images = ServeCheckpoints.WriteImages(temp.Combine("images"), 3);
        var expected = ServeApiTests.PredictCli(run, images, top: 4);
        using var classifier = ImageClassifier.Open(run, threads: 1);
        for (int i = 0; i < images.Length; i++)
        {
            var answer = classifier.Classify(images[i], top: 4);
            Assert.Equal(expected[i].OrderByDescending(e => e.Value).Select(e => e.Key), answer.Select(c => c.Index));
            foreach (var c in answer)
            {
                Assert.Equal(classifier.ClassNames[c.Index], c.Name);
                Assert.True(Math.Abs(expected[i][c.Index] - c.Probability) <= 1e-5f, $"{images[i]}: {c.Name} {c.Probability} vs predict {expected[i][c.Index]}");
            }
        }
        string text = temp.Combine("note.png");
        File.WriteAllText(text, "not an image");
        var error = Assert.Throws<InvalidDataException>(() => classifier.Classify(text));
        Assert.Contains("note.png", error.Message);
    }

    [Fact]
    public void SharedBetweenThreadsAnswersAsAlone()
    {
        using var temp = new TempDirectory();
        string run = ServeCheckpoints.Write(temp.Combine("run"), imageData: false);
        var images = ServeCheckpoints.WriteImages(temp.Combine("images"), 4).Select(File.ReadAllBytes).ToArray();
        using var classifier = ImageClassifier.Open(run, threads: 2);
        var alone = images.Select(image => classifier.Classify(image, top: 4)).ToArray();
        var wrong = new int[4];
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            for (int i = 0; i < 50; i++)
            {
                int k = (i + t) % images.Length;
                try
                {
                    if (!classifier.Classify(images[k], top: 4).SequenceEqual(alone[k])) wrong[t]++;
                }
                catch (Exception) { wrong[t]++; }
            }
        })).ToArray();
        foreach (var thread in threads) thread.Start();
        foreach (var thread in threads) thread.Join();
        Assert.Equal([0, 0, 0, 0], wrong);
    }

    [Fact]
    public void ClassNamesCannotBeChangedFromOutside()
    {
        using var temp = new TempDirectory();
        string run = ServeCheckpoints.Write(temp.Combine("run"), imageData: false);
        var image = File.ReadAllBytes(ServeCheckpoints.WriteImages(temp.Combine("images"), 1)[0]);
        using var classifier = ImageClassifier.Open(run, threads: 1);
        var names = classifier.ClassNames.ToArray();
        if (classifier.ClassNames is IList<string> list)
            try { list[0] = "HACKED"; } catch (NotSupportedException) { }
        Assert.Equal(names, classifier.ClassNames);
        Assert.All(classifier.Classify(image, top: 4), c => Assert.Equal(names[c.Index], c.Name));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void EveryMemberThrowsAfterDispose(int threads)
    {
        using var temp = new TempDirectory();
        string run = ServeCheckpoints.Write(temp.Combine("run"), imageData: false);
        string path = ServeCheckpoints.WriteImages(temp.Combine("images"), 1)[0];
        var classifier = ImageClassifier.Open(run, threads);
        classifier.Dispose();
        classifier.Dispose();
        Assert.Throws<ObjectDisposedException>(() => classifier.Classify(File.ReadAllBytes(path)));
        Assert.Throws<ObjectDisposedException>(() => classifier.Classify(path));
        Assert.Throws<ObjectDisposedException>(() => classifier.ClassNames);
        Assert.Throws<ObjectDisposedException>(() => classifier.Input);
        Assert.Throws<ObjectDisposedException>(() => classifier.ModelName);
        // Before the arguments: a top of 0 (or a null) after Dispose was an ArgumentOutOfRangeException.
        Assert.Throws<ObjectDisposedException>(() => classifier.Classify(File.ReadAllBytes(path), top: 0));
        Assert.Throws<ObjectDisposedException>(() => classifier.Classify((byte[])null!));
        Assert.Throws<ObjectDisposedException>(() => classifier.Classify((string)null!));
    }

    [Fact]
    public void AThreadCountAbovePoolsLimitIsRefusedBeforeTheCheckpointIsRead()
    {
        // A missing checkpoint shows nothing was read: Open used to load it first, then refuse 'workers'.
        int tooMany = ConvNet.Threading.WorkerPool.MaxWorkers + 1;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ImageClassifier.Open("no-such-checkpoint", tooMany));
        Assert.Equal("threads", e.ParamName);
        Assert.Contains($"threads must be 1..{ConvNet.Threading.WorkerPool.MaxWorkers}, or 0 for one per core", e.Message);
    }

    [Fact]
    public void RefusesNullAndNegativeArguments()
    {
        using var temp = new TempDirectory();
        string run = ServeCheckpoints.Write(temp.Combine("run"), imageData: false);
        Assert.Throws<ArgumentNullException>(() => ImageClassifier.Open(null!));
        Assert.Equal("threads", Assert.Throws<ArgumentOutOfRangeException>(() => ImageClassifier.Open(run, threads: -1)).ParamName);
        using var classifier = ImageClassifier.Open(run, threads: 1);
        Assert.Throws<ArgumentNullException>(() => classifier.Classify((byte[])null!));
        Assert.Throws<ArgumentNullException>(() => classifier.Classify((string)null!));
        Assert.Throws<ArgumentNullException>(() => classifier.Classify([1, 2, 3], name: null!));
        // top: 1 to the class count, as predict --top; unset, at most 5.
        string image = ServeCheckpoints.WriteImages(temp.Combine("images"), 1)[0];
        int classes = classifier.ClassNames.Count;
        Assert.Equal(Math.Min(5, classes), classifier.Classify(image).Count);
        Assert.Equal(classes, classifier.Classify(image, top: classes).Count);
        Assert.Contains($"the model has {classes} classes", Assert.Throws<ArgumentOutOfRangeException>(() => classifier.Classify(image, top: classes + 1)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => classifier.Classify(image, top: 0));
    }
}
