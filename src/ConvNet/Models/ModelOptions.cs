// What a user may change when creating a registered model.
namespace ConvNet.Models;

/// <param name="Classes">output classes (null: the model's default)</param>
/// <param name="BiasInit">for the paper net: the constant for conv2/4/5 and fc6/fc7 biases (paper 1, Caffe 0.1)</param>
/// <param name="InputChannels">for alexnet-small: 1 (28x28 gray) or 3 (32x32 colour)</param>
/// <param name="InputSize">for alexnet-small: 28 or 32 (null: 28 for one channel, 32 for three)</param>
public sealed record ModelOptions(int? Classes = null, float BiasInit = 1f, int InputChannels = 1, int? InputSize = null);
