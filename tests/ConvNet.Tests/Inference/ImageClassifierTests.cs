// The library's ImageClassifier (what the NuGet package's example uses, on the same ImageInput as the server) answers
// as `convnet predict` does, for runs trained on model-sized data, on image data, and for imported-style checkpoints
// (shorter side rescaled and centre-cropped, BGR), and refuses a bad image naming it.
using ConvNet.Inference;
using ConvNet.Tests.Serving;
using ConvNet.Tests.Support;

namespace ConvNet.Tests.Inference;

public class ImageClassifierTests
{
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
}
