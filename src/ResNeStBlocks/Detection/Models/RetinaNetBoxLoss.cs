namespace ResNeStBlocks.Detection.Models;

/// <summary>RetinaNet's box regression loss (torchvision's <c>regression_head._loss_type</c>).</summary>
public enum RetinaNetBoxLoss
{
    /// <summary>L1 on the encoded deltas, summed (<c>"l1"</c>; retinanet_resnet50_fpn).</summary>
    L1,

    /// <summary>Generalized IoU loss on the decoded boxes, summed (<c>"giou"</c>; retinanet_resnet50_fpn_v2).</summary>
    GeneralizedIou,
}
