// Exact k-nearest-neighbour search by Euclidean distance (the paper's Figure 4, right): for queries Q and database
// rows X, ||q - x||^2 = ||q||^2 + ||x||^2 - 2 q.x, the q.x for a block of database rows at a time as one SGEMM.
// SearchNaive is its specification (differences summed one by one, in double).
using ConvNet.Kernels.Cpu;

namespace ConvNet.Inspection;

public readonly record struct Neighbour(int Index, float Distance);

public static class NearestNeighbours
{
    /// <summary>Database rows per SGEMM: the q x rows block of products stays small.</summary>
    public const int BlockRows = 4096;

    /// <summary>For each of <paramref name="queryCount"/> queries (rows of <paramref name="queries"/>), the
    /// <paramref name="k"/> database rows nearest to it, nearest first (ties: the lower index first).</summary>
    public static Neighbour[][] Search(ReadOnlySpan<float> database, int count, ReadOnlySpan<float> queries, int queryCount, int dimension, int k)
    {
        Check(database.Length, count, queries.Length, queryCount, dimension, k);
        var search = new NeighbourSearch(queries.ToArray(), queryCount, dimension, k);
        for (int start = 0; start < count; start += BlockRows)
        {
            int rows = Math.Min(BlockRows, count - start);
            search.Add(database.Slice(start * dimension, rows * dimension), rows);
        }
        return search.Results();
    }

    /// <summary>The same answer computed plainly: every distance as a sum of squared differences in double.</summary>
    public static Neighbour[][] SearchNaive(ReadOnlySpan<float> database, int count, ReadOnlySpan<float> queries, int queryCount, int dimension, int k)
    {
        Check(database.Length, count, queries.Length, queryCount, dimension, k);
        var result = new Neighbour[queryCount][];
        for (int q = 0; q < queryCount; q++)
        {
            var best = new List<Neighbour>(k + 1);
            for (int i = 0; i < count; i++)
            {
                double sum = 0;
                for (int d = 0; d < dimension; d++)
                {
                    double diff = (double)queries[q * dimension + d] - database[i * dimension + d];
                    sum += diff * diff;
                }
                Insert(best, new Neighbour(i, (float)Math.Sqrt(sum)), k);
            }
            result[q] = best.ToArray();
        }
        return result;
    }

    internal static void Check(int databaseLength, int count, int queriesLength, int queryCount, int dimension, int k)
    {
        if (dimension < 1) throw new ArgumentException($"feature dimension must be at least 1, got {dimension}");
        if (count < 1 || databaseLength != (long)count * dimension)
            throw new ArgumentException($"the database holds {databaseLength} values, not {count} rows of {dimension}");
        if (queryCount < 1 || queriesLength != (long)queryCount * dimension)
            throw new ArgumentException($"the queries hold {queriesLength} values, not {queryCount} rows of {dimension}");
        if (k < 1 || k > count) throw new ArgumentException($"--k {k}: must be between 1 and the {count} images searched");
    }

    internal static float SquaredNorm(ReadOnlySpan<float> row)
    {
        double sum = 0;
        foreach (float v in row) sum += (double)v * v;
        return (float)sum;
    }

    // Keeps list sorted by (distance, index) and at most k long.
    internal static void Insert(List<Neighbour> list, Neighbour candidate, int k)
    {
        if (list.Count == k && !Before(candidate, list[^1])) return;
        int at = list.Count;
        while (at > 0 && Before(candidate, list[at - 1])) at--;
        list.Insert(at, candidate);
        if (list.Count > k) list.RemoveAt(list.Count - 1);
    }

    private static bool Before(Neighbour a, Neighbour b) => a.Distance < b.Distance || (a.Distance == b.Distance && a.Index < b.Index);
}
