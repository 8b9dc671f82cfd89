// Training-time augmentation: a random crop from the image padded by CropPadding pixels on each side (a random shift
// of up to CropPadding pixels each way), then a random horizontal mirror, as the paper trains on crops and mirrors;
// then, with probability RandomErase, one random rectangle set to the normalised value 0 (the channel mean; black
// with --normalization none), as
// torchvision's RandomErasing after Normalize (Zhong et al., "Random Erasing Data Augmentation", 2017).
namespace ConvNet.Data;

public sealed record AugmentOptions(int CropPadding, bool HorizontalFlip, float RandomErase = 0f)
{
    public static AugmentOptions None { get; } = new(0, false);

    public bool IsNone => CropPadding == 0 && !HorizontalFlip && RandomErase == 0f;

    /// <summary>The erased rectangle's area as a fraction of the image: uniform in [MinEraseArea, MaxEraseArea].</summary>
    public const double MinEraseArea = 0.02, MaxEraseArea = 0.33;

    /// <summary>The rectangle's height / width: log-uniform in [MinEraseAspect, MaxEraseAspect] (torchvision's ratio).</summary>
    public const double MinEraseAspect = 0.3, MaxEraseAspect = 3.3;

    /// <summary>Rectangles drawn before giving up on one that fits inside the image (the image is then not erased).</summary>
    public const int EraseAttempts = 10;
}
