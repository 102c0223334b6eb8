using System;
using System.Collections.Generic;
using ResNeStBlocks.Dense;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// Mask R-CNN (He et al., 2017; torchvision's <c>MaskRCNN</c>): Faster R-CNN whose second stage also predicts a 28x28
/// mask inside every detection, pasted into the image's pixels (<see cref="MaskOps.PasteMasksInImage"/>) as
/// <see cref="Detections.Masks"/>, [N, 1, H, W] probabilities. <see cref="Detector.Losses"/> needs one mask per box in
/// every target (<see cref="DetectionTarget.Masks"/>) and adds <c>loss_mask</c> (<see cref="RoiHeads.LossesWithMask"/>)
/// to Faster R-CNN's four losses.
/// </summary>
/// <remarks>Keys are Faster R-CNN's plus <c>roi_heads.mask_head.*</c> and <c>roi_heads.mask_predictor.*</c>. Build it
/// with <see cref="DetectionModels.Create"/> (<c>maskrcnn_resnet50_fpn</c>, <c>maskrcnn_resnet50_fpn_v2</c>).</remarks>
public sealed class MaskRcnn : FasterRcnn
{
    internal MaskRcnn(nn.Module<Tensor, FeatureMaps> backbone, RegionProposalNetwork rpn, RoiHeads roiHeads, DetectionOptions options)
        : base(nameof(MaskRcnn), backbone, rpn, roiHeads, options)
    {
        if (!roiHeads.HasMask)
            throw new ArgumentException("Mask R-CNN's heads need a mask branch (maskRoiPool, maskHead, maskPredictor).", nameof(roiHeads));
    }

    private protected override Detections Postprocess(Detections found, (long Height, long Width) resized, (long Height, long Width) original)
    {
        using var scope = NewDisposeScope();
        var boxes = DetectionTransform.ResizeBoxes(found.Boxes, resized, original);
        // Pasted with the boxes already in the original pixels, as torchvision's postprocess does.
        var masks = MaskOps.PasteMasksInImage(found.Masks!, boxes, original.Height, original.Width);
        return new Detections(boxes, found.Scores.alias(), found.Labels.alias(), masks).MoveToOuterDisposeScope();
    }

    private protected override bool NeedsMasks => true;

    private protected override Dictionary<string, Tensor> SecondStageLosses(FeatureMaps features, IReadOnlyList<Tensor> proposals,
        IReadOnlyList<(long Height, long Width)> sizes, IReadOnlyList<DetectionTarget> targets)
    {
        var (classifierLoss, boxLoss, maskLoss) = RoiHeads.LossesWithMask(features, proposals, sizes, targets);
        return new Dictionary<string, Tensor> { ["loss_classifier"] = classifierLoss, ["loss_box_reg"] = boxLoss, ["loss_mask"] = maskLoss };
    }

    /// <summary>Registers nothing: the constructor registered every child under torchvision's key.</summary>
    protected override void RegisterComponents()
    {
    }
}
