using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Dense;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// Faster R-CNN with a feature pyramid (Ren et al., 2015; Lin et al., 2017; torchvision's <c>FasterRCNN</c>): backbone
/// and pyramid, region proposal network, then the box heads on pooled proposals.
/// </summary>
/// <remarks>Keys are torchvision's: <c>backbone.body.*</c>, <c>backbone.fpn.*</c>, <c>rpn.head.*</c>,
/// <c>roi_heads.box_head.*</c>, <c>roi_heads.box_predictor.*</c>. Build it with <see cref="DetectionModels.Create"/>
/// (<c>fasterrcnn_resnet50_fpn</c>, <c>fasterrcnn_resnet50_fpn_v2</c>); <see cref="MaskRcnn"/> adds the mask branch.</remarks>
public class FasterRcnn : Detector
{
    private readonly nn.Module<Tensor, FeatureMaps> backbone;
    private readonly RegionProposalNetwork rpn;
    private readonly RoiHeads roiHeads;

    internal FasterRcnn(nn.Module<Tensor, FeatureMaps> backbone, RegionProposalNetwork rpn, RoiHeads roiHeads, DetectionOptions options)
        : this(nameof(FasterRcnn), backbone, rpn, roiHeads, options)
    {
    }

    private protected FasterRcnn(string name, nn.Module<Tensor, FeatureMaps> backbone, RegionProposalNetwork rpn, RoiHeads roiHeads, DetectionOptions options)
        : base(name, options)
    {
        this.backbone = backbone;
        this.rpn = rpn;
        this.roiHeads = roiHeads;
        register_module("backbone", backbone);
        register_module("rpn", rpn);
        register_module("roi_heads", roiHeads);
    }

    /// <inheritdoc/>
    public override int NumClasses => roiHeads.BoxPredictor.NumClasses;

    /// <summary>The backbone and pyramid (keys <c>backbone.*</c>): a <see cref="DetectionBackbone"/> for torchvision's ResNets, a <see cref="ResNetFpnBackbone"/> for the library's.</summary>
    public nn.Module<Tensor, FeatureMaps> Backbone => backbone;

    /// <summary>The region proposal network (keys <c>rpn.*</c>).</summary>
    public RegionProposalNetwork Rpn => rpn;

    /// <summary>The box heads (keys <c>roi_heads.*</c>).</summary>
    public RoiHeads RoiHeads => roiHeads;

    private protected override IReadOnlyList<Detections> DetectBatch(Tensor batch, IReadOnlyList<(long Height, long Width)> sizes)
    {
        var features = backbone.call(batch);
        var proposals = rpn.Propose(batch.size(2), batch.size(3), sizes, features);
        var found = roiHeads.Detect(features, proposals, sizes);
        if (!roiHeads.HasMask)
            return found.Select(d => new Detections(d.Boxes, d.Scores, d.Labels)).ToArray();
        var masks = roiHeads.DetectMasks(features, found.Select(d => d.Boxes).ToArray(), found.Select(d => d.Labels).ToArray(), sizes);
        return found.Select((d, i) => new Detections(d.Boxes, d.Scores, d.Labels, masks[i])).ToArray();
    }

    private protected override IReadOnlyDictionary<string, Tensor> ComputeLosses(Tensor batch,
        IReadOnlyList<(long Height, long Width)> sizes, IReadOnlyList<DetectionTarget> targets)
    {
        var features = backbone.call(batch);
        var (proposals, objectnessLoss, rpnBoxLoss) = rpn.ProposeWithLosses(batch.size(2), batch.size(3), sizes, features,
            targets.Select(t => t.Boxes).ToArray());
        var losses = SecondStageLosses(features, proposals, sizes, targets);
        losses["loss_objectness"] = objectnessLoss;
        losses["loss_rpn_box_reg"] = rpnBoxLoss;
        return losses;
    }

    /// <summary>The second stage's named losses (<c>loss_classifier</c>, <c>loss_box_reg</c>; Mask R-CNN adds <c>loss_mask</c>).</summary>
    private protected virtual Dictionary<string, Tensor> SecondStageLosses(FeatureMaps features, IReadOnlyList<Tensor> proposals,
        IReadOnlyList<(long Height, long Width)> sizes, IReadOnlyList<DetectionTarget> targets)
    {
        var (classifierLoss, boxLoss) = roiHeads.Losses(features, proposals, sizes, targets);
        return new Dictionary<string, Tensor> { ["loss_classifier"] = classifierLoss, ["loss_box_reg"] = boxLoss };
    }

    /// <summary>Registers nothing: the constructor registered every child under torchvision's key.</summary>
    protected override void RegisterComponents()
    {
    }
}
