// Top-k correctness of a row of scores: is the label among the k highest? Ties count against the label
// (a label is in the top k only if fewer than k other classes score strictly higher).
namespace ConvNet.Evaluation;

public static class TopK
{
    public static bool Contains(ReadOnlySpan<float> scores, int label, int k)
    {
        float target = scores[label];
        if (float.IsNaN(target)) return false;
        int higher = 0;
        for (int c = 0; c < scores.Length; c++)
            if (c != label && (scores[c] > target || float.IsNaN(scores[c])) && ++higher >= k) return false;
        return true;
    }

    /// <summary>The <paramref name="k"/> highest-scoring classes, best first.</summary>
    public static int[] Best(ReadOnlySpan<float> scores, int k)
    {
        k = Math.Min(k, scores.Length);
        var order = Enumerable.Range(0, scores.Length).ToArray();
        var copy = scores.ToArray();
        Array.Sort(order, (a, b) => copy[b].CompareTo(copy[a]) != 0 ? copy[b].CompareTo(copy[a]) : a.CompareTo(b));
        return order[..k];
    }
}
