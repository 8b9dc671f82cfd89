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

    /// <summary>A tensor of the given shape whose element i is this one's element sources[i] (a pure rearrangement:
    /// Gather, Slice, Transpose, Concat of one part...).</summary>
    public FoldedTensor Pick(int[] dims, int[] sources)
    {
        if (IsInteger)
        {
            var values = new long[sources.Length];
            bool[]? batch = Batch is null ? null : new bool[sources.Length];
            for (int i = 0; i < sources.Length; i++)
            {
                values[i] = Integers[sources[i]];
                if (batch is not null) batch[i] = Batch![sources[i]];
            }
            return OfIntegers(Type, dims, values, batch);
        }
        var floats = new float[sources.Length];
        for (int i = 0; i < sources.Length; i++) floats[i] = Floats[sources[i]];
        return OfFloats(dims, floats);
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
