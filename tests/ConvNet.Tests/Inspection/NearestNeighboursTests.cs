// Issue 12 item 6: the exact neighbour search through SGEMM (||a||^2 + ||b||^2 - 2ab) gives the naive search's answer
// on random data of odd sizes, fed whole or in uneven blocks, and refuses k larger than the set.
using ConvNet.Inspection;
using ConvNet.Random;

namespace ConvNet.Tests.Inspection;

public sealed class NearestNeighboursTests
{
    private static float[] Random(Rng rng, int length) => Enumerable.Range(0, length).Select(_ => rng.NextFloat() * 2 - 1).ToArray();

    [Theory]
    [InlineData(1, 1, 1, 1)]
    [InlineData(37, 3, 5, 7)]
    [InlineData(1000, 13, 4, 6)]
    [InlineData(5000, 64, 3, 10)] // more rows than one SGEMM block
    public void SearchEqualsNaiveSearch(int count, int dimension, int queryCount, int k)
    {
        var rng = new Rng((ulong)(count * 31 + dimension));
        var database = Random(rng, count * dimension);
        var queries = Random(rng, queryCount * dimension);
        var fast = NearestNeighbours.Search(database, count, queries, queryCount, dimension, k);
        var naive = NearestNeighbours.SearchNaive(database, count, queries, queryCount, dimension, k);
        for (int q = 0; q < queryCount; q++)
        {
            Assert.Equal(k, fast[q].Length);
            for (int i = 0; i < k; i++)
            {
                Assert.Equal(naive[q][i].Distance, fast[q][i].Distance, 1e-6f);
                // The same image, unless two candidates are (nearly) tied at this rank.
                if (fast[q][i].Index != naive[q][i].Index)
                    Assert.True(Math.Abs(fast[q][i].Distance - naive[q][i].Distance) < 1e-3f, $"query {q} rank {i}: {fast[q][i]} vs {naive[q][i]}");
            }
            Assert.True(fast[q].Zip(fast[q].Skip(1)).All(p => p.First.Distance <= p.Second.Distance), "nearest first");
        }
    }

    [Fact]
    public void AQueryThatIsInTheDatabaseFindsItselfAtDistanceZero()
    {
        var rng = new Rng(5);
        int count = 301, dimension = 17;
        var database = Random(rng, count * dimension);
        var queries = database.AsSpan(123 * dimension, dimension).ToArray();
        var result = NearestNeighbours.Search(database, count, queries, 1, dimension, 3);
        Assert.Equal(123, result[0][0].Index);
        Assert.Equal(0f, result[0][0].Distance);
    }

    [Fact]
    public void SmallDistancesBetweenLargeRowsAreExact()
    {
        // fc7 rows: 4096 values of norm ~100 whose near-duplicates differ by ~1e-4. ||q||^2 + ||x||^2 - 2 q.x in float
        // gave an image and itself 0.0156 apart, and ordered near-duplicates by rounding.
        var rng = new Rng(11);
        int dimension = 4096, count = 40;
        var baseRow = Enumerable.Range(0, dimension).Select(_ => 1.5f + rng.NextFloat()).ToArray();
        var database = new float[count * dimension];
        for (int i = 0; i < count; i++)
            for (int d = 0; d < dimension; d++)
                database[i * dimension + d] = baseRow[d] + (d == i ? 1e-4f * (i + 1) : 0f); // row i is (i + 1) 1e-4 away
        var fast = NearestNeighbours.Search(database, count, baseRow, 1, dimension, 5);
        var naive = NearestNeighbours.SearchNaive(database, count, baseRow, 1, dimension, 5);
        Assert.Equal(naive[0].Select(n => n.Index), fast[0].Select(n => n.Index));
        Assert.Equal([0, 1, 2, 3, 4], fast[0].Select(n => n.Index));
        for (int i = 0; i < 5; i++) Assert.Equal(naive[0][i].Distance, fast[0][i].Distance);
    }

    [Fact]
    public void BlocksOfAnySizeGiveTheSameAnswer()
    {
        var rng = new Rng(9);
        int count = 997, dimension = 11;
        var database = Random(rng, count * dimension);
        var queries = Random(rng, 2 * dimension);
        var whole = NearestNeighbours.Search(database, count, queries, 2, dimension, 5);
        var search = new NeighbourSearch(queries, 2, dimension, 5);
        int[] blocks = [1, 100, 333, 7, 556];
        int start = 0;
        foreach (int rows in blocks)
        {
            search.Add(database.AsSpan(start * dimension, rows * dimension), rows);
            start += rows;
        }
        Assert.Equal(count, start);
        var streamed = search.Results();
        for (int q = 0; q < 2; q++) Assert.Equal(whole[q].Select(n => n.Index), streamed[q].Select(n => n.Index));
    }

    [Fact]
    public void KLargerThanTheSetIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => NearestNeighbours.Search(new float[6], 3, new float[2], 1, 2, 4));
        Assert.Contains("--k 4", e.Message);
        var search = new NeighbourSearch(new float[2], 1, 2, 4);
        search.Add(new float[6], 3);
        Assert.Throws<ArgumentException>(() => search.Results());
    }
}
