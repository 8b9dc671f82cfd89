// A constant the importer computed from a graph's side branch (a Reshape's shape, a transposed weight): its element
// type, dimensions and values. Integers may stand for the graph's symbolic batch size, whose value is unknown until
// the network runs: such elements are marked, never given a made-up value.
using System.Globalization;
using ConvNet.Interop.Onnx.Proto;
using DataType = ConvNet.Interop.Onnx.Proto.TensorProto.Types.DataType;

namespace ConvNet.Interop.Onnx;

internal sealed class FoldedTensor
{
    /// <summary>INT64, INT32 or FLOAT: the types torch's shape computations and weights use, each kept exactly.</summary>
    public DataType Type { get; }
    public int[] Dims { get; }
    /// <summary>The values of an integer tensor (empty for FLOAT).</summary>
    public long[] Integers { get; }
    /// <summary>The values of a FLOAT tensor (empty for integers).</summary>
    public float[] Floats { get; }
    /// <summary>Per element: it is the symbolic batch size (its entry in Integers means nothing). Null: none is.</summary>
    public bool[]? Batch { get; }

    private FoldedTensor(DataType type, int[] dims, long[] integers, float[] floats, bool[]? batch)
    {
        Type = type;
        Dims = dims;
        Integers = integers;
        Floats = floats;
        Batch = batch is not null && batch.Contains(true) ? batch : null;
    }

    public static FoldedTensor OfIntegers(DataType type, int[] dims, long[] values, bool[]? batch = null) => new(type, dims, values, [], batch);

    public static FoldedTensor OfFloats(int[] dims, float[] values) => new(DataType.Float, dims, [], values, null);

    public bool IsInteger => Type != DataType.Float;

    public int Count => IsInteger ? Integers.Length : Floats.Length;

    public bool HasBatch => Batch is not null;

    public bool IsBatch(int i) => Batch is not null && Batch[i];

    /// <summary>The element types the evaluator computes with; others are refused rather than converted.</summary>
    public static bool Evaluates(DataType type) => type is DataType.Int64 or DataType.Int32 or DataType.Float;

    public static FoldedTensor FromProto(TensorProto t, string where)
    {
        var type = (DataType)t.DataType;
        int[] dims = OnnxTensorReader.Dims(t, where);
        if (type == DataType.Float) return OfFloats(dims, OnnxTensorReader.Floats(t, where));
        if (type is DataType.Int64 or DataType.Int32) return OfIntegers(type, dims, OnnxTensorReader.Integers(t, where));
        throw new InvalidDataException($"{where}: '{t.Name}' has element type {type}; constants are computed only from INT64, INT32 and FLOAT tensors");
    }

    /// <summary>The tensor as the rest of the importer reads constants (the caller has refused one holding the batch).</summary>
    public TensorProto ToProto(string name)
    {
        if (HasBatch) throw new InvalidOperationException($"'{name}' depends on the batch size");
        if (Type == DataType.Float) return OnnxBuild.FloatTensor(name, Dims, Floats);
        var t = new TensorProto { Name = name, DataType = (int)Type };
        foreach (int d in Dims) t.Dims.Add(d);
        if (Type == DataType.Int64) t.Int64Data.AddRange(Integers);
        else foreach (long v in Integers) t.Int32Data.Add((int)v);
        return t;
    }

    /// <summary>A tensor of the given shape (<paramref name="count"/> elements, reserved in the budget) whose element i
    /// is this one's element sources[i] (a pure rearrangement: Gather, Slice, Transpose), written straight into it.</summary>
    public FoldedTensor Pick(int[] dims, int count, IEnumerable<int> sources)
    {
        int i = 0;
        if (IsInteger)
        {
            var values = new long[count];
            bool[]? batch = Batch is null ? null : new bool[count];
            foreach (int s in sources)
            {
                values[i] = Integers[s];
                if (batch is not null) batch[i] = Batch![s];
                i++;
            }
            return OfIntegers(Type, dims, values, batch);
        }
        var floats = new float[count];
        foreach (int s in sources) floats[i++] = Floats[s];
        return OfFloats(dims, floats);
    }

    /// <summary>Concat: the parts (one type, shapes equal outside <paramref name="axis"/>) joined along it into a tensor
    /// of the given shape and <paramref name="count"/> elements (reserved in the budget), with no copy in between.</summary>
    public static FoldedTensor Concatenate(FoldedTensor[] parts, int axis, int[] dims, int count)
    {
        var first = parts[0];
        var values = first.IsInteger ? new long[count] : [];
        var floats = first.IsInteger ? [] : new float[count];
        bool[]? batch = parts.Any(p => p.HasBatch) ? new bool[count] : null;
        if (count > 0)
        {
            // Row-major: for each index before the axis, part k's block of dims[axis] * inner elements in turn.
            long inner = 1;
            for (int d = axis + 1; d < dims.Length; d++) inner *= dims[d];
            long outer = count / (dims[axis] * inner);
            int n = 0;
            for (long o = 0; o < outer; o++)
                foreach (var p in parts)
                {
                    int block = (int)(p.Dims[axis] * inner), from = (int)(o * block);
                    if (first.IsInteger) Array.Copy(p.Integers, from, values, n, block);
                    else Array.Copy(p.Floats, from, floats, n, block);
                    if (p.Batch is not null) Array.Copy(p.Batch, from, batch!, n, block);
                    n += block;
                }
        }
        return first.IsInteger ? OfIntegers(first.Type, dims, values, batch) : OfFloats(dims, floats);
    }

    public FoldedTensor WithDims(int[] dims) => new(Type, dims, Integers, Floats, Batch);

    /// <summary>The values for a message: "[N, -1]" (N the batch size), at most 16 of them.</summary>
    public string Describe()
    {
        var parts = Enumerable.Range(0, Math.Min(Count, 16)).Select(i => IsBatch(i) ? "N"
            : IsInteger ? Integers[i].ToString(CultureInfo.InvariantCulture) : Floats[i].ToString(CultureInfo.InvariantCulture));
        return "[" + string.Join(", ", parts) + (Count > 16 ? ", ..." : "") + "]";
    }
}

/// <summary>How many elements the side branches of one file may compute in all: the larger of <see cref="Floor"/> and
/// the elements the file's own constants hold (so a weight can be rearranged), reserved before each output is allocated.
/// A few kilobytes of nested Concats would otherwise ask for gigabytes.</summary>
internal sealed class FoldBudget
{
    public const long Floor = 1L << 22;

    public FoldBudget(long limit) => (Limit, Left) = (limit, limit);

    public long Limit { get; }

    public long Left { get; private set; }

    /// <summary>The budget for a file whose initializers and Constant values are these: the elements their data holds
    /// (the bytes present, not the dimensions they claim).</summary>
    public static FoldBudget For(IEnumerable<TensorProto> constants)
    {
        long held = 0;
        foreach (var t in constants)
        {
            int size = (DataType)t.DataType switch
            {
                DataType.Int64 or DataType.Uint64 or DataType.Double or DataType.Complex64 => 8,
                DataType.Float or DataType.Int32 or DataType.Uint32 => 4,
                DataType.Float16 or DataType.Bfloat16 or DataType.Int16 or DataType.Uint16 => 2,
                _ => 1,
            };
            held += t.RawData.Length / size + t.FloatData.Count + t.Int32Data.Count + t.Int64Data.Count + t.DoubleData.Count + t.Uint64Data.Count;
        }
        return new FoldBudget(Math.Max(Floor, held));
    }

    /// <summary>The dimensions of an output that shares its input's elements (Reshape, Unsqueeze, Squeeze): each must be
    /// at most int.MaxValue.</summary>
    public static int[] Dims(ReadOnlySpan<long> dims, OnnxAttributes a)
    {
        var result = new int[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] is < 0 or > int.MaxValue)
                throw a.Error($"its output would have dimension {dims[i]} (shape {OnnxAttributes.Format(dims.ToArray())}); dimensions over {int.MaxValue} are not evaluated");
            result[i] = (int)dims[i];
        }
        return result;
    }

    /// <summary>Takes a new output's elements from the budget before it is allocated: its dimensions as
    /// <see cref="Dims"/> checks them, and their product (counted without overflow) at most what is left.</summary>
    public (int[] Dims, int Count) Reserve(ReadOnlySpan<long> dims, OnnxAttributes a)
    {
        int[] result = Dims(dims, a);
        long count = 1;
        if (!result.Contains(0))
            foreach (int d in result)
            {
                count = checked(count * d); // at most Left (below 2^62) times a dimension below 2^31: no overflow
                if (count > Left || count > Array.MaxLength)
                    throw a.Error($"its output of shape {OnnxAttributes.Format(dims.ToArray())} has {(Count(result) is { } all ? all.ToString(CultureInfo.InvariantCulture) : "more than 2^63")} " +
                        $"elements; side branches compute at most {Limit} in all for one file (the larger of {Floor} and the elements of its " +
                        $"constants), {Limit - Left} already computed; not evaluated");
            }
        else count = 0;
        Left -= count;
        return (result, (int)count);
    }

    public (int[] Dims, int Count) Reserve(int[] dims, OnnxAttributes a) => Reserve([.. dims.Select(d => (long)d)], a);

    private static long? Count(int[] dims)
    {
        try
        {
            long count = 1;
            foreach (int d in dims) count = checked(count * d);
            return count;
        }
        catch (OverflowException)
        {
            return null;
        }
    }
}
