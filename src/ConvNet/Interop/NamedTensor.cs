// A tensor as it travels through weight files: a name (e.g. "conv1.weight"), a shape (outermost first) and
// its float32 elements in row-major order. Product(Shape) == Data.Length; a scalar has Shape [].
namespace ConvNet.Interop;

public sealed record NamedTensor(string Name, int[] Shape, float[] Data)
{
    // Refused here, naming the property, rather than as a NullReferenceException (or a JSON writer's 'propertyName')
    // inside the writer that meets them first.
    public string Name { get; init => field = Required(value, nameof(Name)); } = Required(Name, nameof(Name));
    public int[] Shape { get; init => field = Required(value, nameof(Shape)); } = Required(Shape, nameof(Shape));
    public float[] Data { get; init => field = Required(value, nameof(Data)); } = Required(Data, nameof(Data));

    /// <summary>The elements <paramref name="shape"/> holds: 0 when any dimension is 0, however large the others.</summary>
    /// <param name="what">names the tensor in the message ("safetensors: tensor conv1.weight")</param>
    /// <exception cref="ArgumentException">a negative dimension, or more than int.MaxValue elements: no float[] holds
    /// them, the readers refuse them, and the product used to wrap ([65536, 65536, 65536, 65536] counted 0)</exception>
    public static long ElementCount(ReadOnlySpan<int> shape, string what = "tensor")
    {
        foreach (int d in shape)
            if (d < 0) throw new ArgumentException($"{what}: shape {Format(shape)} has a negative dimension");
        if (shape.Contains(0)) return 0;
        long count = 1;
        foreach (int d in shape)
        {
            count *= d;
            if (count > int.MaxValue) throw new ArgumentException($"{what}: shape {Format(shape)} has more than {int.MaxValue} elements");
        }
        return count;
    }

    private static string Format(ReadOnlySpan<int> shape) => $"[{string.Join(", ", shape.ToArray())}]";

    private static T Required<T>(T? value, string property) where T : class => value ?? throw new ArgumentNullException(property);
}
