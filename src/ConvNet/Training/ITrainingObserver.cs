// How a training run reports to whoever started it (the CLI draws a progress bar or prints lines).
namespace ConvNet.Training;

public interface ITrainingObserver
{
    void Message(string text);
    void Step(int epoch, int epochs, int batch, int batches, double loss, float learningRate, double imagesPerSecond);
    void EpochEnded(EpochMetrics metrics);
}

public sealed class SilentObserver : ITrainingObserver
{
    public void Message(string text) { }
    public void Step(int epoch, int epochs, int batch, int batches, double loss, float learningRate, double imagesPerSecond) { }
    public void EpochEnded(EpochMetrics metrics) { }
}
