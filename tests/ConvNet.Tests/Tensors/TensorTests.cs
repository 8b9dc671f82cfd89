// Tensor storage alignment and the shape errors that name the layer and both shapes.
using System.Runtime.InteropServices;
using ConvNet.Layers;
using ConvNet.Models;
using ConvNet.Tensors;
using ConvNet.Threading;

namespace ConvNet.Tests.Tensors;

public sealed class TensorTests
{
    [Fact]
    public void Storage_starts_on_a_64_byte_boundary()
    {
        for (int length = 1; length <= 70; length++)
        {
            var t = new Tensor(length);
            long address = (long)Marshal.UnsafeAddrOfPinnedArrayElement(t.Storage, t.Offset);
            Assert.True(address % 64 == 0, $"tensor of {length} elements starts at {address:x}");
            Assert.True(t.Offset + t.Length <= t.Storage.Length);
        }
        var big = new Tensor(2, 96, 55, 55);
        Assert.Equal(0, (long)Marshal.UnsafeAddrOfPinnedArrayElement(big.Storage, big.Offset) % 64);
    }

    [Fact]
    public void Reshape_shares_storage_and_rejects_a_different_count()
    {
        var t = Tensor.FromArray([1, 2, 3, 4, 5, 6], 2, 3);
        var r = t.Reshape(3, 2);
        r.Span[5] = 60;
        Assert.Equal(60, t.Span[5]);
        var e = Assert.Throws<ShapeMismatchException>(() => t.Reshape(4, 2));
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[4, 2]", e.Message);
    }

    [Fact]
    public void Layer_rejects_an_input_that_is_not_the_planned_shape_naming_both()
    {
        using var pool = new WorkerPool(1);
        var conv = new Conv2d("conv1", 3, 4, 3);
        conv.Plan([2, 3, 9, 9], pool, needInputGradient: true);
        var e = Assert.Throws<ShapeMismatchException>(() => conv.Forward(new Tensor(2, 3, 8, 8), training: true));
        Assert.Contains("conv1", e.Message);
        Assert.Contains("[2, 3, 8, 8]", e.Message);
        Assert.Contains("[2, 3, 9, 9]", e.Message);
    }

    [Fact]
    public void Linear_rejects_wrong_features_naming_the_layer_and_shapes()
    {
        var fc = new Linear("fc6", 9216, 4096);
        var e = Assert.Throws<ShapeMismatchException>(() => fc.OutputShapeFor([2, 9000]));
        Assert.Contains("fc6", e.Message);
        Assert.Contains("[2, 9000]", e.Message);
        Assert.Contains("9216", e.Message);
    }

    [Fact]
    public void Conv_rejects_wrong_channels_naming_the_layer()
    {
        var e = Assert.Throws<ShapeMismatchException>(() => new Conv2d("conv2", 96, 256, 5, groups: 2).OutputShapeFor([1, 64, 27, 27]));
        Assert.Contains("conv2", e.Message);
        Assert.Contains("[1, 64, 27, 27]", e.Message);
    }

    [Fact]
    public void Network_rejects_a_wrong_input_naming_the_model_and_shapes()
    {
        var network = ModelRegistry.Create("alexnet-small");
        using var pool = new WorkerPool(1);
        network.Plan(2, pool);
        var e = Assert.Throws<ShapeMismatchException>(() => network.Forward(new Tensor(2, 3, 28, 28), training: false));
        Assert.Contains("alexnet-small", e.Message);
        Assert.Contains("[2, 3, 28, 28]", e.Message);
        Assert.Contains("[2, 1, 28, 28]", e.Message);
    }
}
