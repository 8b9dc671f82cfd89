// The largest count that still passes a test which fails from some count on: the most images a figure holds, the
// largest --max-batch whose plans fit in memory. Said as the fix in messages that refuse a count.
namespace ConvNet;

public static class Bisection
{
    /// <summary>The largest n in 1..<paramref name="upTo"/> for which <paramref name="holds"/> is true, or 0 when it
    /// holds for none; <paramref name="holds"/> must be true up to some n and false after it.</summary>
    public static int Largest(int upTo, Func<int, bool> holds)
    {
        int low = 0, high = upTo;
        while (low < high)
        {
            int middle = low + (high - low + 1) / 2;
            if (holds(middle)) low = middle; else high = middle - 1;
        }
        return low;
    }
}
