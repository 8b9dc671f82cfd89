// Top-k error, the confusion matrix and the classes shown all rank a row alike: ties go to the lower class index (as
// PyTorch's argmax), NaN ranks last, and a tie never counts for the label. Checked against a plain sort of
// (score, index) pairs on rows with many ties.
using ConvNet.Evaluation;
using ConvNet.Random;

namespace ConvNet.Tests.Evaluation;

public sealed class TopKTests
{
    // The reference: every class's rank by score (descending, NaN last), then index.
    private static int[] ReferenceOrder(float[] row) =>
        Enumerable.Range(0, row.Length)
            .OrderBy(c => float.IsNaN(row[c]) ? 1 : 0).ThenByDescending(c => float.IsNaN(row[c]) ? 0 : row[c]).ThenBy(c => c).ToArray();

    [Fact]
    public void BestFirstAndContainsAgreeWithASortOfScoresThenIndexOnRowsWithTiesAndNaN()
    {
        var rng = new Rng(5);
        for (int trial = 0; trial < 300; trial++)
        {
            int classes = 1 + (int)(rng.NextUInt64() % 13);
            // Scores from a handful of values, so most rows tie; some NaN.
            var row = new float[classes];
            for (int c = 0; c < classes; c++)
            {
                ulong draw = rng.NextUInt64() % 5;
                row[c] = draw == 4 && trial % 3 == 0 ? float.NaN : draw * 0.25f;
            }
            var order = ReferenceOrder(row);
            Assert.Equal(order[0], TopK.First(row));
            for (int k = 1; k <= classes; k++)
            {
                Assert.Equal(order[..k], TopK.Best(row, k));
                for (int label = 0; label < classes; label++)
                    Assert.Equal(Array.IndexOf(order, label) < k, TopK.Contains(row, label, k));
            }
        }
    }

    [Fact]
    public void AModelThatScoresEveryClassAlikeIsRightOnlyOnTheFirstClassInTopOneErrorAndConfusionAlike()
    {
        const int classes = 10, images = 50;
        var scores = Enumerable.Repeat(0.1f, classes * images).ToArray();
        var labels = Enumerable.Range(0, images).Select(i => i % classes).ToArray();
        var metrics = new ClassificationMetrics(classes);
        metrics.Add(scores, labels, images);

        Assert.Equal(0.9, metrics.Top1Error, 12); // was 0: every tie counted for the label
        Assert.Equal(0.5, metrics.Top5Error, 12); // classes 0-4 are the top five
        long diagonal = Enumerable.Range(0, classes).Sum(c => metrics.Confusion[c * classes + c]);
        Assert.Equal(metrics.Top1Correct, diagonal);
    }

    [Fact]
    public void ARowOfNaNPredictsTheFirstClassAndANaNLabelScoreRanksBehindEveryNumber()
    {
        float[] allNaN = [float.NaN, float.NaN, float.NaN];
        Assert.Equal(0, TopK.First(allNaN));
        Assert.False(TopK.Contains(allNaN, 2, 2));

        float[] row = [0.2f, float.NaN, 0.5f, 0.3f];
        Assert.Equal([2, 3, 0, 1], TopK.Best(row, 4));
        Assert.False(TopK.Contains(row, 1, 3));
        Assert.True(TopK.Contains(row, 1, 4));
    }
}
