// What a user may change when creating a registered model.
namespace ConvNet.Models;

/// <param name="Classes">output classes (null: the model's default)</param>
/// <param name="BiasInit">for the paper net: the constant for conv2/4/5 and fc6/fc7 biases (paper 1, Caffe 0.1); a
/// finite number, and 1 for the other models (ModelRegistry.Create refuses another value for them)</param>
/// <param name="InputChannels">for alexnet-small and alexnet-micro: 1 (gray, the default when null) or 3 (colour);
/// alexnet and alexnet-torchvision take 3 channels only (ModelRegistry.Create refuses another number for them)</param>
/// <param name="InputSize">for alexnet-small (16..64) and alexnet-micro (23..64); null: 28 for one channel, 32 for three.
/// alexnet and alexnet-torchvision take 227 and 224 only</param>
public sealed record ModelOptions(int? Classes = null, float BiasInit = 1f, int? InputChannels = null, int? InputSize = null);
