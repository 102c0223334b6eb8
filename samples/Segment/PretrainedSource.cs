namespace ResNeStBlocks.Samples.Segment;

/// <summary>Where <c>--pretrained</c> takes a model's starting weights from.</summary>
public enum PretrainedSource
{
    /// <summary><c>imagenet</c>: timm's ImageNet weights for the backbone, from the Hugging Face Hub; the heads start initialised.</summary>
    ImageNet,

    /// <summary>
    /// <c>torchvision</c>: torchvision's COCO segmentation checkpoint (VOC's 21 classes), backbone and heads, through
    /// torch.hub's folder; the final class projections start initialised when the class count differs.
    /// </summary>
    Torchvision,
}
