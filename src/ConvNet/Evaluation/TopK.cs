// Which classes a row of scores ranks first. One order for every question asked of a row (top-k error, the confusion
// matrix's prediction, the classes shown): higher scores first, equal scores by class index (as PyTorch's argmax takes
// the first maximum), NaN last. So a model that scores every class alike predicts class 0 and is right only on class
// 0's images: ties never count for the label.
namespace ConvNet.Evaluation;

public static class TopK
{
    /// <summary>Does class <paramref name="a"/> (scoring <paramref name="scoreA"/>) rank before class <paramref name="b"/>?</summary>
    public static bool RanksBefore(float scoreA, int a, float scoreB, int b)
    {
        int order = scoreA.CompareTo(scoreB); // NaN compares below every number
        return order != 0 ? order > 0 : a < b;
    }

    /// <summary>Is <paramref name="label"/> among the <paramref name="k"/> first-ranked classes?</summary>
    public static bool Contains(ReadOnlySpan<float> scores, int label, int k)
    {
        float target = scores[label];
        int before = 0;
        for (int c = 0; c < scores.Length; c++)
            if (c != label && RanksBefore(scores[c], c, target, label) && ++before >= k) return false;
        return true;
    }

    /// <summary>The first-ranked class (Best(scores, 1)[0] without sorting).</summary>
    public static int First(ReadOnlySpan<float> scores)
    {
        int best = 0;
        for (int c = 1; c < scores.Length; c++) if (RanksBefore(scores[c], c, scores[best], best)) best = c;
        return best;
    }

    /// <summary>The <paramref name="k"/> first-ranked classes, best first.</summary>
    public static int[] Best(ReadOnlySpan<float> scores, int k)
    {
        k = Math.Min(k, scores.Length);
        var order = Enumerable.Range(0, scores.Length).ToArray();
        var copy = scores.ToArray();
        Array.Sort(order, (a, b) => a == b ? 0 : RanksBefore(copy[a], a, copy[b], b) ? -1 : 1);
        return order[..k];
    }
}
