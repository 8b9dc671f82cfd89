// Shape arrays a caller can reach are copies: writing into ImageClassifier.Input.SampleShape used to change how the
// next image was decoded (another answer, no error), and into Network.Spec.InputShape what Plan allocated (a shape
// error later, in fc6). Tensor.Shape stays the tensor's own array (kernels read it on every call); its doc says so.
using ConvNet.Inference;
using ConvNet.Models;
using ConvNet.Tensors;
using ConvNet.Tests.Serving;
using ConvNet.Tests.Support;
using ConvNet.Threading;

namespace ConvNet.Tests.Models;

public sealed class PublicShapeArrayTests
{
    [Fact]
    public void WritingIntoTheClassifiersSampleShapeChangesNeitherItNorTheAnswers()
    {
        using var temp = new TempDirectory();
        string run = ServeCheckpoints.Write(temp.Combine("run"), imageData: false);
        string image = ServeCheckpoints.WriteImages(temp.Combine("images"), 1)[0];
        using var classifier = ImageClassifier.Open(run, threads: 1);
        var before = classifier.Classify(image);
        int[] shape = classifier.Input.SampleShape;
        string description = classifier.Input.Description;

        classifier.Input.SampleShape[1] = 5;

        Assert.Equal(shape, classifier.Input.SampleShape);
        Assert.Equal(description, classifier.Input.Description);
        Assert.Equal(before, classifier.Classify(image));
    }

    [Fact]
    public void WritingIntoASpecsInputShapeChangesNeitherTheSpecNorThePlan()
    {
        var network = ModelRegistry.Create("alexnet-small");
        network.Spec.InputShape[1] = 20;
        int[] given = [1, 28, 28];
        var spec = new ModelSpec("x", given, 10, ModelRegistry.Spec("alexnet-small").Layers);
        given[1] = 20;

        Assert.Equal([1, 28, 28], network.Spec.InputShape);
        Assert.Equal([1, 28, 28], spec.InputShape);
        using var pool = new WorkerPool(1);
        network.Plan(1, pool);
        Assert.Equal([1, 10], network.Forward(new Tensor(1, 1, 28, 28), training: false).Shape);
    }

    [Fact]
    public void WritingIntoALayersInputShapeDoesNotChangeWhatItAccepts()
    {
        var network = ModelRegistry.Create("alexnet-small");
        using var pool = new WorkerPool(1);
        network.Plan(1, pool);
        network.Layers[0].InputShape[2] = 20;

        Assert.Equal([1, 1, 28, 28], network.Layers[0].InputShape);
        network.Forward(new Tensor(1, 1, 28, 28), training: false);
    }

    [Fact]
    public void ASpecWithoutAnInputShapeIsRefusedNamingIt() =>
        Assert.Equal("InputShape", Assert.Throws<ArgumentNullException>(() => new ModelSpec("x", null!, 10, [])).ParamName);
}
