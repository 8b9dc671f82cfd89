// Reads the values of an ONNX TensorProto (initializer or Constant) as floats or integers, from raw_data or the
// typed fields, after checking the element count against the dimensions. External data is refused with a message.
using System.Buffers.Binary;
using ConvNet.Interop.Onnx.Proto;
using DataType = ConvNet.Interop.Onnx.Proto.TensorProto.Types.DataType;

namespace ConvNet.Interop.Onnx;

internal static class OnnxTensorReader
{
    public static int[] Dims(TensorProto t, string where)
    {
        var dims = new int[t.Dims.Count];
        long count = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            if (t.Dims[i] < 0 || t.Dims[i] > int.MaxValue) throw new InvalidDataException($"{where}: tensor '{t.Name}' has dimension {t.Dims[i]}");
            dims[i] = (int)t.Dims[i];
            count *= dims[i];
            if (count > int.MaxValue) throw new InvalidDataException($"{where}: tensor '{t.Name}' is too large");
        }
        return dims;
    }

    public static float[] Floats(TensorProto t, string where)
    {
        int count = Count(t, where);
        var type = (DataType)t.DataType;
        float[] values; // allocated once the data is known to hold count values: dims alone could ask for gigabytes
        bool raw = !t.RawData.IsEmpty;
        var bytes = t.RawData.Span;
        switch (type)
        {
            case DataType.Float when raw:
                RequireRaw(t, bytes.Length, count, 4, where);
                values = new float[count];
                for (int i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
                break;
            case DataType.Float:
                RequireCount(t, t.FloatData.Count, count, where);
                values = new float[count];
                t.FloatData.CopyTo(values, 0);
                break;
            case DataType.Float16 when raw:
                RequireRaw(t, bytes.Length, count, 2, where);
                values = new float[count];
                for (int i = 0; i < count; i++) values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(2 * i)..]);
                break;
            case DataType.Float16:
                RequireCount(t, t.Int32Data.Count, count, where);
                values = new float[count];
                for (int i = 0; i < count; i++) values[i] = (float)BitConverter.UInt16BitsToHalf((ushort)t.Int32Data[i]);
                break;
            case DataType.Double when raw:
                RequireRaw(t, bytes.Length, count, 8, where);
                values = new float[count];
                for (int i = 0; i < count; i++) values[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes[(8 * i)..]);
                break;
            case DataType.Double:
                RequireCount(t, t.DoubleData.Count, count, where);
                values = new float[count];
                for (int i = 0; i < count; i++) values[i] = (float)t.DoubleData[i];
                break;
            default:
                throw new InvalidDataException($"{where}: tensor '{t.Name}' has data type {type}; weights must be FLOAT, FLOAT16 or DOUBLE");
        }
        return values;
    }

    public static long[] Integers(TensorProto t, string where)
    {
        int count = Count(t, where);
        var type = (DataType)t.DataType;
        long[] values;
        bool raw = !t.RawData.IsEmpty;
        var bytes = t.RawData.Span;
        switch (type)
        {
            case DataType.Int64 when raw:
                RequireRaw(t, bytes.Length, count, 8, where);
                values = new long[count];
                for (int i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes[(8 * i)..]);
                break;
            case DataType.Int64:
                RequireCount(t, t.Int64Data.Count, count, where);
                values = new long[count];
                t.Int64Data.CopyTo(values, 0);
                break;
            case DataType.Int32 when raw:
                RequireRaw(t, bytes.Length, count, 4, where);
                values = new long[count];
                for (int i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes[(4 * i)..]);
                break;
            case DataType.Int32:
                RequireCount(t, t.Int32Data.Count, count, where);
                values = new long[count];
                for (int i = 0; i < count; i++) values[i] = t.Int32Data[i];
                break;
            default:
                throw new InvalidDataException($"{where}: tensor '{t.Name}' has data type {type}, expected INT64 or INT32");
        }
        return values;
    }

    private static int Count(TensorProto t, string where)
    {
        if (t.DataLocation == TensorProto.Types.DataLocation.External || t.ExternalData.Count > 0)
            throw new InvalidDataException($"{where}: tensor '{t.Name}' keeps its data in an external file, which is not supported " +
                "(save the model with its weights inside the .onnx file)");
        return (int)NamedTensor.ElementCount(Dims(t, where));
    }

    private static void RequireRaw(TensorProto t, int bytes, int count, int size, string where)
    {
        if (bytes != (long)count * size)
            throw new InvalidDataException($"{where}: tensor '{t.Name}' has dims {OnnxAttributes.Format(t.Dims)} ({count} elements) " +
                $"but {bytes} bytes of raw data, expected {(long)count * size}");
    }

    private static void RequireCount(TensorProto t, int actual, int count, string where)
    {
        if (actual != count)
            throw new InvalidDataException($"{where}: tensor '{t.Name}' has dims {OnnxAttributes.Format(t.Dims)} ({count} elements) but {actual} values");
    }
}
