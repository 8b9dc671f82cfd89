// The ONNX operators the importer evaluates on constants (side branches that compute a Reshape's shape or rearrange a
// weight), each as the operator pages define it at the graph's opset. Whatever is not computed exactly is refused
// naming the node: an attribute not honoured, a value out of range, the symbolic batch size used in arithmetic. Each
// output that needs new storage is reserved in the file's budget (FoldBudget) before it is allocated.
using ConvNet.Interop.Onnx.Proto;
using ConvNet.Tensors;
using DataType = ConvNet.Interop.Onnx.Proto.TensorProto.Types.DataType;

namespace ConvNet.Interop.Onnx;

internal static class OnnxConstantOperators
{
    /// <summary>Operator types evaluated on constants (Shape of a chain value too: its shape is known).</summary>
    public static readonly string[] Names = ["Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Slice", "Cast", "Reshape", "Transpose", "Identity", "Mul", "Sub", "ConstantOfShape"];

    private const string BatchHint = "the batch size is symbolic (known only when the network runs): it can only be carried into a Reshape's first entry";

    /// <summary>Shape: the dimensions of a tensor, [batch, ...] for a chain value (batchIsSymbolic: its first is
    /// the graph's symbolic batch size).</summary>
    public static FoldedTensor Shape(long[] dims, bool batchIsSymbolic, OnnxAttributes a, long opset, FoldBudget budget)
    {
        int rank = dims.Length;
        long start = 0, end = rank;
        if (opset >= 15)
        {
            // Negative counts from the back; both are then clamped to [0, rank].
            start = Axis(a.Int("start", 0), rank);
            end = Axis(a.Int("end", rank), rank);
        }
        int count = budget.Reserve([Math.Max(0, end - start)], a).Count;
        var values = new long[count];
        var batch = new bool[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = dims[start + i];
            batch[i] = batchIsSymbolic && start + i == 0;
        }
        return FoldedTensor.OfIntegers(DataType.Int64, [count], values, batch);

        static long Axis(long v, int rank) => Math.Clamp(v < 0 ? v + rank : v, 0, rank);
    }

    public static FoldedTensor Gather(FoldedTensor data, FoldedTensor indices, OnnxAttributes a, FoldBudget budget)
    {
        int rank = data.Dims.Length;
        if (rank == 0) throw a.Error("gathers from a scalar; data must have rank 1 or more");
        int axis = NormalizeAxis(a, "axis", a.Int("axis", 0), rank, negativeAllowed: true);
        long[] picks = KnownIntegers(indices, "its indices", a);
        int size = data.Dims[axis];
        // Negative indices count from the back at every opset, as ONNX Runtime takes them (Gather-1's page is silent,
        // 11's allows them); every index must then be in [0, size).
        var at = new int[picks.Length];
        for (int i = 0; i < picks.Length; i++)
        {
            long index = picks[i] < 0 ? picks[i] + size : picks[i];
            if (index < 0 || index >= size) throw a.Error($"index {picks[i]} is out of range for axis {axis} of size {size}");
            at[i] = (int)index;
        }
        var (dims, count) = budget.Reserve([.. data.Dims[..axis], .. indices.Dims, .. data.Dims[(axis + 1)..]], a);
        return data.Pick(dims, count, count == 0 ? [] : Sources());

        IEnumerable<int> Sources()
        {
            // count > 0: outer and inner are each at most count.
            int inner = (int)Elements(data.Dims.AsSpan((axis + 1)..)), outer = (int)Elements(data.Dims.AsSpan(..axis));
            for (int o = 0; o < outer; o++)
                foreach (int index in at)
                    for (int i = 0; i < inner; i++) yield return (o * size + index) * inner + i;
        }
    }

    /// <param name="axesInput">the axes input (opset 13+), null before it (read from the attribute)</param>
    public static FoldedTensor Unsqueeze(FoldedTensor data, FoldedTensor? axesInput, OnnxAttributes a, long opset)
    {
        long[] axes = opset >= 13
            ? KnownIntegers(axesInput ?? throw a.Error("input 'axes' is required"), "its axes", a)
            : a.Ints("axes") ?? throw a.Error("attribute 'axes' is required");
        int rank = data.Dims.Length + axes.Length;
        var inserted = new bool[rank];
        foreach (long axis in axes)
        {
            int at = NormalizeAxis(a, "axes", axis, rank, negativeAllowed: opset >= 11);
            if (inserted[at]) throw a.Error($"axes {OnnxAttributes.Format(axes)} name axis {at} twice");
            inserted[at] = true;
        }
        var dims = new int[rank];
        for (int i = 0, from = 0; i < rank; i++) dims[i] = inserted[i] ? 1 : data.Dims[from++];
        return data.WithDims(dims);
    }

    /// <param name="axesInput">the optional axes input (opset 13+); before it the optional attribute</param>
    public static FoldedTensor Squeeze(FoldedTensor data, FoldedTensor? axesInput, OnnxAttributes a, long opset)
    {
        long[]? axes = opset >= 13 ? (axesInput is null ? null : KnownIntegers(axesInput, "its axes", a)) : a.Ints("axes");
        int rank = data.Dims.Length;
        var removed = new bool[rank];
        if (axes is null or [])
            for (int i = 0; i < rank; i++) removed[i] = data.Dims[i] == 1; // no axes, or an empty list: every dimension of size 1
        else
            foreach (long axis in axes)
            {
                int at = NormalizeAxis(a, "axes", axis, rank, negativeAllowed: opset >= 11);
                if (data.Dims[at] != 1) throw a.Error($"squeezes axis {at} of size {data.Dims[at]}; only a dimension of size 1 can be removed");
                removed[at] = true;
            }
        return data.WithDims([.. data.Dims.Where((_, i) => !removed[i])]);
    }

    public static FoldedTensor Concat(FoldedTensor[] parts, OnnxAttributes a, long opset, FoldBudget budget)
    {
        if (parts.Length == 0) throw a.Error("has no inputs");
        if (!a.Has("axis")) throw a.Error("attribute 'axis' is required");
        var first = parts[0];
        int rank = first.Dims.Length;
        if (rank == 0) throw a.Error("concatenates scalars; inputs must have rank 1 or more");
        int axis = NormalizeAxis(a, "axis", a.Int("axis", 0), rank, negativeAllowed: opset >= 11);
        long total = 0;
        foreach (var p in parts)
        {
            if (p.Type != first.Type) throw a.Error($"concatenates {first.Type} with {p.Type}; the inputs must have one element type");
            if (p.Dims.Length != rank || Enumerable.Range(0, rank).Any(i => i != axis && p.Dims[i] != first.Dims[i]))
                throw a.Error($"input shapes {string.Join(", ", parts.Select(q => ShapeMath.Format(q.Dims)))} differ outside axis {axis}");
            total += p.Dims[axis]; // at most 2^31 parts of at most 2^31 each: no overflow
        }
        long[] shape = [.. first.Dims.Select(d => (long)d)];
        shape[axis] = total;
        var (dims, count) = budget.Reserve(shape, a);
        return FoldedTensor.Concatenate(parts, axis, dims, count);
    }

    /// <param name="inputs">opset 10+: starts, ends, axes, steps (the last two optional); before it, attributes</param>
    public static FoldedTensor Slice(FoldedTensor data, FoldedTensor?[] inputs, OnnxAttributes a, long opset, FoldBudget budget)
    {
        long[] starts, ends;
        long[]? axes, steps = null;
        if (opset >= 10)
        {
            starts = KnownIntegers(inputs[0] ?? throw a.Error("input 'starts' is required"), "its starts", a);
            ends = KnownIntegers(inputs[1] ?? throw a.Error("input 'ends' is required"), "its ends", a);
            axes = inputs[2] is { } ax ? KnownIntegers(ax, "its axes", a) : null;
            steps = inputs[3] is { } st ? KnownIntegers(st, "its steps", a) : null;
        }
        else
        {
            starts = a.Ints("starts") ?? throw a.Error("attribute 'starts' is required");
            ends = a.Ints("ends") ?? throw a.Error("attribute 'ends' is required");
            axes = a.Ints("axes");
        }
        int rank = data.Dims.Length;
        axes ??= [.. Enumerable.Range(0, starts.Length).Select(i => (long)i)];
        steps ??= [.. Enumerable.Repeat(1L, starts.Length)];
        if (ends.Length != starts.Length || axes.Length != starts.Length || steps.Length != starts.Length)
            throw a.Error($"starts, ends, axes and steps have {starts.Length}, {ends.Length}, {axes.Length} and {steps.Length} entries; they must have one each per sliced axis");
        // Every axis whole unless sliced: start 0, step 1, all its elements.
        var begin = new long[rank];
        var step = Enumerable.Repeat(1L, rank).ToArray();
        var count = data.Dims.Select(d => (long)d).ToArray();
        var sliced = new bool[rank];
        for (int i = 0; i < starts.Length; i++)
        {
            int axis = NormalizeAxis(a, "axes", axes[i], rank, negativeAllowed: opset >= 11);
            if (sliced[axis]) throw a.Error($"slices axis {axis} twice");
            sliced[axis] = true;
            long size = data.Dims[axis], s = steps[i];
            if (s == 0) throw a.Error($"step 0 on axis {axis}");
            long from = starts[i] < 0 ? starts[i] + size : starts[i], to = ends[i] < 0 ? ends[i] + size : ends[i];
            // Clamped as the operator page says: [0, size] stepping forward, [0, size - 1] and [-1, size - 1] backward.
            if (s > 0) (from, to) = (Math.Clamp(from, 0, size), Math.Clamp(to, 0, size));
            else (from, to) = (Math.Clamp(from, 0, size - 1), Math.Clamp(to, -1, size - 1));
            begin[axis] = from;
            step[axis] = s;
            // (|to - from| - 1) / |step| + 1 elements in a non-empty range, in unsigned arithmetic: |long.MinValue| and
            // to - from + step (a step of long.MaxValue) overflow a long. |to - from| is at most size + 1.
            ulong span = s > 0 ? (ulong)Math.Max(0, to - from) : (ulong)Math.Max(0, from - to);
            ulong stride = s > 0 ? (ulong)s : (ulong)(-(s + 1)) + 1;
            count[axis] = span == 0 ? 0 : (long)((span - 1) / stride + 1);
        }
        var (dims, total) = budget.Reserve(count, a);
        return data.Pick(dims, total, total == 0 ? [] : Sources());

        IEnumerable<int> Sources()
        {
            // Each element's source: begin + position * step per axis (position * |step| is at most the axis's size + 1).
            var strides = Strides(data.Dims);
            var position = new int[rank];
            for (int n = 0; n < total; n++)
            {
                long source = 0;
                for (int d = 0; d < rank; d++) source += (begin[d] + position[d] * step[d]) * strides[d];
                yield return (int)source;
                Advance(position, dims);
            }
        }
    }

    public static FoldedTensor Cast(FoldedTensor data, OnnxAttributes a, long opset, FoldBudget budget)
    {
        if (!a.Has("to")) throw a.Error("attribute 'to' is required");
        var to = (DataType)a.Int("to", 0);
        // saturate (19+) and round_mode (23+) apply to float8 targets only, which are refused here.
        if (opset >= 19) a.Ignore("saturate");
        if (opset >= 23) a.Ignore("round_mode");
        if (!FoldedTensor.Evaluates(to)) throw a.Unsupported("to", to.ToString(), "INT64, INT32 or FLOAT");
        if (to == data.Type) return data;
        budget.Reserve(data.Dims, a);
        if (to == DataType.Float)
        {
            if (data.HasBatch) throw a.Error($"casts the batch size to FLOAT: {BatchHint}");
            return FoldedTensor.OfFloats(data.Dims, [.. data.Integers.Select(v => (float)v)]);
        }
        // To an integer type: only values it holds exactly (the operator leaves others to the runtime).
        double min = to == DataType.Int32 ? int.MinValue : long.MinValue, limit = to == DataType.Int32 ? int.MaxValue + 1.0 : -(double)long.MinValue;
        var values = new long[data.Count];
        for (int i = 0; i < values.Length; i++)
        {
            double v = data.IsInteger ? data.Integers[i] : data.Floats[i];
            bool exact = data.IsBatch(i) || (data.IsInteger ? (to != DataType.Int32 || data.Integers[i] is >= int.MinValue and <= int.MaxValue)
                : double.IsInteger(v) && v >= min && v < limit);
            if (!exact) throw a.Error($"casts {(data.IsInteger ? data.Integers[i] : data.Floats[i])} to {to}, which does not hold it exactly");
            values[i] = data.IsInteger ? data.Integers[i] : (long)v;
        }
        return FoldedTensor.OfIntegers(to, data.Dims, values, data.Batch);
    }

    public static FoldedTensor Reshape(FoldedTensor data, FoldedTensor shape, OnnxAttributes a, long opset)
    {
        long allowZero = opset >= 14 ? a.Int("allowzero", 0) : 0;
        long[] target = KnownIntegers(shape, "its shape", a);
        if (shape.Dims.Length != 1) throw a.Error($"its shape input has shape {ShapeMath.Format(shape.Dims)}; it must be a vector");
        var dims = new long[target.Length];
        int inferred = -1;
        for (int i = 0; i < target.Length; i++)
        {
            if (target[i] == -1)
            {
                if (inferred >= 0) throw a.Error($"shape {OnnxAttributes.Format(target)} has -1 twice");
                inferred = i;
            }
            else if (target[i] == 0 && allowZero == 0)
            {
                if (i >= data.Dims.Length) throw a.Error($"shape {OnnxAttributes.Format(target)} copies dimension {i}, which the {data.Dims.Length}-dimensional input lacks");
                dims[i] = data.Dims[i];
            }
            else if (target[i] < 0) throw a.Error($"shape {OnnxAttributes.Format(target)} has the negative size {target[i]}");
            else dims[i] = target[i];
        }
        // In double: exact while it can still equal the element count, and it cannot overflow.
        double known = 1;
        for (int i = 0; i < dims.Length; i++) if (i != inferred) known *= dims[i];
        if (inferred >= 0)
        {
            if (known == 0 || known > int.MaxValue || data.Count % known != 0)
                throw a.Error($"shape {OnnxAttributes.Format(target)} does not fit the {data.Count} elements of {ShapeMath.Format(data.Dims)}");
            dims[inferred] = data.Count / (long)known;
        }
        else if (known != data.Count)
            throw a.Error($"shape {OnnxAttributes.Format(target)} does not hold the {data.Count} elements of {ShapeMath.Format(data.Dims)}");
        return data.WithDims(FoldBudget.Dims(dims, a));
    }

    public static FoldedTensor Transpose(FoldedTensor data, OnnxAttributes a, FoldBudget budget)
    {
        int rank = data.Dims.Length;
        long[] perm = a.Ints("perm") ?? [.. Enumerable.Range(0, rank).Reverse().Select(i => (long)i)];
        if (perm.Length != rank || perm.Any(p => p < 0 || p >= rank) || perm.Distinct().Count() != rank)
            throw a.Unsupported("perm", OnnxAttributes.Format(perm), $"a permutation of the {rank} axes");
        var (dims, count) = budget.Reserve([.. perm.Select(p => (long)data.Dims[p])], a);
        return data.Pick(dims, count, Sources());

        IEnumerable<int> Sources()
        {
            var strides = Strides(data.Dims);
            var position = new int[rank];
            for (int n = 0; n < count; n++)
            {
                long source = 0;
                for (int d = 0; d < rank; d++) source += position[d] * strides[perm[d]];
                yield return (int)source;
                Advance(position, dims);
            }
        }
    }

    /// <summary>Mul with one value broadcast, or of equal shapes: the broadcasting torch's size arithmetic uses.</summary>
    public static FoldedTensor Mul(FoldedTensor x, FoldedTensor y, OnnxAttributes a, FoldBudget budget) =>
        Arithmetic(x, y, a, budget, "multiplies", "x", (p, q) => checked(p * q), (p, q) => p * q);

    /// <summary>Sub, broadcast as Mul (torch's F.pad computes how many zero pads to add with it).</summary>
    public static FoldedTensor Sub(FoldedTensor x, FoldedTensor y, OnnxAttributes a, FoldBudget budget) =>
        Arithmetic(x, y, a, budget, "subtracts from", "-", (p, q) => checked(p - q), (p, q) => p - q);

    private static FoldedTensor Arithmetic(FoldedTensor x, FoldedTensor y, OnnxAttributes a, FoldBudget budget, string verb, string sign,
        Func<long, long, long> integer, Func<float, float, float> real)
    {
        if (x.HasBatch || y.HasBatch) throw a.Error($"{verb} the batch size ({x.Describe()} {sign} {y.Describe()}): {BatchHint}");
        if (x.Type != y.Type) throw a.Error($"{verb} {x.Type} and {y.Type}; both inputs must have one element type");
        var (large, small) = x.Dims.Length >= y.Dims.Length ? (x, y) : (y, x);
        bool same = ShapeMath.Equal(x.Dims, y.Dims), one = small.Count == 1;
        if (!same && !one) throw a.Error($"{verb} shapes {ShapeMath.Format(x.Dims)} and {ShapeMath.Format(y.Dims)}; only equal shapes or one value are evaluated");
        int[] dims = large.Dims;
        budget.Reserve(dims, a);
        if (x.IsInteger)
        {
            var values = new long[large.Count];
            for (int i = 0; i < values.Length; i++)
            {
                long p = x.Integers[x.Count == 1 ? 0 : i], q = y.Integers[y.Count == 1 ? 0 : i];
                long result;
                try { result = integer(p, q); }
                catch (OverflowException) { throw a.Error($"{p} {sign} {q} overflows {x.Type}"); }
                if (x.Type == DataType.Int32 && result is < int.MinValue or > int.MaxValue) throw a.Error($"{p} {sign} {q} overflows INT32");
                values[i] = result;
            }
            return FoldedTensor.OfIntegers(x.Type, dims, values);
        }
        var floats = new float[large.Count];
        for (int i = 0; i < floats.Length; i++) floats[i] = real(x.Floats[x.Count == 1 ? 0 : i], y.Floats[y.Count == 1 ? 0 : i]);
        return FoldedTensor.OfFloats(dims, floats);
    }

    // Far more than any shape computation makes; a larger tensor is no constant worth computing at import.

    /// <summary>ConstantOfShape (opset 9+): a tensor of the given shape filled with 'value' (a float 0 when absent).</summary>
    public static FoldedTensor ConstantOfShape(FoldedTensor shape, OnnxAttributes a, long opset, FoldBudget budget)
    {
        if (opset < 9) throw a.Error($"ConstantOfShape came with opset 9; the graph's opset is {opset}");
        long[] dims = KnownIntegers(shape, "its shape", a);
        if (shape.Dims.Length != 1) throw a.Error($"its shape input has shape {ShapeMath.Format(shape.Dims)}; it must be a vector");
        foreach (long d in dims)
            if (d < 0) throw a.Error($"shape {OnnxAttributes.Format(dims)} has the negative size {d}");
        var value = a.Tensor("value") is { } t ? FoldedTensor.FromProto(t, a.Where) : FoldedTensor.OfFloats([1], [0f]);
        if (value.Count != 1) throw a.Error($"its value has {value.Count} elements; it must have one");
        var (outDims, count) = budget.Reserve(dims, a);
        return value.Pick(outDims, count, Enumerable.Repeat(0, count));
    }

    /// <summary>Integer values that set how an operator works (indices, axes, a shape): the batch size cannot be one.</summary>
    private static long[] KnownIntegers(FoldedTensor t, string role, OnnxAttributes a)
    {
        if (!t.IsInteger) throw a.Error($"{role} are {t.Type}, expected INT64 or INT32");
        if (t.HasBatch) throw a.Error($"{role} {t.Describe()} use the batch size: {BatchHint}");
        return t.Integers;
    }

    private static int NormalizeAxis(OnnxAttributes a, string name, long axis, int rank, bool negativeAllowed)
    {
        long at = axis < 0 && negativeAllowed ? axis + rank : axis;
        if (at < 0 || at >= rank)
            throw a.Error($"{name} value {axis} is out of range for rank {rank}{(axis < 0 && !negativeAllowed ? " (negative axes count from the back only from opset 11)" : "")}");
        return (int)at;
    }

    /// <summary>The elements of a shape, in checked arithmetic (a caller has bounded them).</summary>
    private static long Elements(ReadOnlySpan<int> dims)
    {
        long count = 1;
        foreach (int d in dims) count = checked(count * d);
        return count;
    }

    private static long[] Strides(int[] dims)
    {
        var strides = new long[dims.Length];
        long s = 1;
        for (int d = dims.Length - 1; d >= 0; d--)
        {
            strides[d] = s;
            s *= dims[d];
        }
        return strides;
    }

    /// <summary>The next position in row-major order.</summary>
    private static void Advance(int[] position, int[] dims)
    {
        for (int d = dims.Length - 1; d >= 0; d--)
        {
            if (++position[d] < dims[d]) return;
            position[d] = 0;
        }
    }
}
