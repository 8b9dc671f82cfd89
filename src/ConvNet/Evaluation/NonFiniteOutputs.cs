// A network whose weights overflowed (a run that diverged between its last loss check and its save, or a file edited
// by hand) gives NaN probabilities. Ranking them would name the class the tie-break picks and report its error as a
// result; eval, predict, forward, serve and the library refuse them instead, with this message.
namespace ConvNet.Evaluation;

public static class NonFiniteOutputs
{
    public static bool Any(ReadOnlySpan<float> scores)
    {
        foreach (float value in scores)
            if (!float.IsFinite(value)) return true;
        return false;
    }

    /// <param name="model">the checkpoint or model, as the user named it</param>
    /// <param name="images">which images: "image.png", "some of the 10,000 images of fashion-mnist"</param>
    /// <param name="advice">what to do instead</param>
    public static string Message(string model, string images, string advice = "use an earlier checkpoint of the run") =>
        $"{model}: the network's outputs for {images} are not finite (NaN): its weights overflow, as a diverged training run's do, " +
        $"so it has no answer to give; {advice}";

    /// <summary>Refuses an evaluation in which some image's probabilities were NaN (its mean loss is then NaN).</summary>
    public static void Require(EvaluationResult result, string model, string images)
    {
        if (result.Metrics.Count > 0 && double.IsNaN(result.MeanLoss))
            throw new InvalidOperationException(Message(model, images));
    }
}
