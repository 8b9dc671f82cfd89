// Training-time augmentation: a random crop from the image padded by CropPadding pixels on each side (a random shift
// of up to CropPadding pixels each way), then a random horizontal mirror, as the paper trains on crops and mirrors.
namespace ConvNet.Data;

public sealed record AugmentOptions(int CropPadding, bool HorizontalFlip)
{
    public static AugmentOptions None { get; } = new(0, false);

    public bool IsNone => CropPadding == 0 && !HorizontalFlip;
}
