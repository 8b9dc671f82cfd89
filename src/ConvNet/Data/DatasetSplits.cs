// A dataset's two published parts: the training images and the held-out test images.
namespace ConvNet.Data;

public sealed record DatasetSplits(ImageDataset Train, ImageDataset Test);
