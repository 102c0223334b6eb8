namespace ResNeStBlocks.Dense;

/// <summary>The heads <see cref="SegmentationModels"/> builds on a backbone.</summary>
public enum SegmentationHeadType
{
    /// <summary>DeepLabV3 (torchvision <c>deeplabv3_*</c>): <see cref="DeepLabHead"/> on a backbone at output stride 8.</summary>
    DeepLabV3,

    /// <summary>FCN (torchvision <c>fcn_*</c>): <see cref="FcnHead"/> on a backbone at output stride 8.</summary>
    Fcn,

    /// <summary>DeepLabV3+ (segmentation_models_pytorch <c>DeepLabV3Plus</c>): <see cref="DeepLabV3PlusHead"/> on a backbone at output stride 16.</summary>
    DeepLabV3Plus,
}
