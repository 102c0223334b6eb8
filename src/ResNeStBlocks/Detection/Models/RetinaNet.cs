using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Dense;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// RetinaNet (Lin et al., 2017, "Focal Loss for Dense Object Detection"; torchvision's <c>RetinaNet</c>): backbone and
/// pyramid on stages 2-4 with P6 and P7, nine anchors per location (three octave sizes, three aspect ratios), and two
/// subnets that score every anchor for every class (sigmoid) and regress its box.
/// </summary>
/// <remarks>
/// <para>Keys are torchvision's: <c>backbone.body.*</c>, <c>backbone.fpn.*</c>, <c>head.classification_head.*</c>,
/// <c>head.regression_head.*</c>. Build it with <see cref="DetectionModels.Create"/> (<c>retinanet_resnet50_fpn</c>,
/// <c>retinanet_resnet50_fpn_v2</c>; on the library's ResNeSt bodies <c>retinanet_resnest50d_fpn</c>, <c>retinanet_resnest101e_fpn</c>).</para>
/// <para>Detection, per image and level: the scores above <see cref="DetectionOptions.ScoreThresh"/> (0.05), the best
/// <see cref="DetectionOptions.TopkCandidates"/> of them decoded and clipped; then per-class NMS at
/// <see cref="DetectionOptions.NmsThresh"/> (0.5) over all levels and the best
/// <see cref="DetectionOptions.DetectionsPerImg"/> (300). Training: anchors matched at IoU 0.5 / 0.4 with low-quality
/// matches, losses <c>classification</c> (sigmoid focal loss over the anchors not between the thresholds) and
/// <c>bbox_regression</c> (v1: L1 on the encoded deltas; v2: GIoU on the decoded boxes), each divided by the image's
/// foreground anchors (at least 1) and averaged over the images.</para>
/// </remarks>
public sealed class RetinaNet : Detector
{
    private readonly nn.Module<Tensor, FeatureMaps> backbone;
    private readonly RetinaNetHead head;
    private readonly double scoreThresh;
    private readonly double nmsThresh;
    private readonly int detectionsPerImg;

    internal RetinaNet(nn.Module<Tensor, FeatureMaps> backbone, RetinaNetHead head, AnchorGenerator anchorGenerator, RetinaNetBoxLoss boxLoss, DetectionOptions options)
        : base(nameof(RetinaNet), options)
    {
        this.backbone = backbone;
        this.head = head;
        AnchorGenerator = anchorGenerator;
        BoxLoss = boxLoss;
        BoxCoder = new BoxCoder((1.0, 1.0, 1.0, 1.0));
        ProposalMatcher = new Matcher(options.FgIouThresh, options.BgIouThresh, allowLowQualityMatches: true);
        scoreThresh = options.ScoreThresh ?? 0.05;
        nmsThresh = options.NmsThresh ?? 0.5;
        detectionsPerImg = options.DetectionsPerImg ?? 300;
        register_module("backbone", backbone);
        register_module("head", head);
    }

    /// <summary>The score a candidate must exceed (<see cref="DetectionOptions.ScoreThresh"/> or the family's default).</summary>
    internal double ScoreThresh => scoreThresh;

    /// <summary>The IoU above which NMS removes a box (<see cref="DetectionOptions.NmsThresh"/> or the family's default).</summary>
    internal double NmsThresh => nmsThresh;

    /// <summary>The detections kept per image (<see cref="DetectionOptions.DetectionsPerImg"/> or the family's default).</summary>
    internal int DetectionsPerImg => detectionsPerImg;

    /// <inheritdoc/>
    public override int NumClasses => head.ClassificationHead.NumClasses;

    /// <summary>The backbone and pyramid (keys <c>backbone.*</c>): a <see cref="DetectionBackbone"/> for torchvision's ResNets, a <see cref="ResNetFpnBackbone"/> for the library's.</summary>
    public nn.Module<Tensor, FeatureMaps> Backbone => backbone;

    /// <summary>The subnets (keys <c>head.*</c>).</summary>
    public RetinaNetHead Head => head;

    /// <summary>The anchors of each level.</summary>
    public AnchorGenerator AnchorGenerator { get; }

    /// <summary>The coder of anchor deltas (weights 1, 1, 1, 1).</summary>
    public BoxCoder BoxCoder { get; }

    /// <summary>The matcher of anchors to ground truth in training (IoU thresholds, low-quality matches allowed).</summary>
    public Matcher ProposalMatcher { get; }

    /// <summary>The box regression loss (v1 L1, v2 GIoU).</summary>
    public RetinaNetBoxLoss BoxLoss { get; }

    private protected override IReadOnlyList<Detections> DetectBatch(Tensor batch, IReadOnlyList<(long Height, long Width)> sizes)
    {
        var features = backbone.call(batch);
        var logits = head.ClassificationHead.call(features);
        var deltas = head.RegressionHead.call(features);
        var anchors = AnchorGenerator.Generate(features, batch.size(2), batch.size(3)).split(logits.Select(l => l.size(1)).ToArray());
        using var threshold = scoreThresh.ToScalar();
        using var classes = ((long)NumClasses).ToScalar();
        var result = new Detections[sizes.Count];
        for (int i = 0; i < sizes.Count; i++)
        {
            var boxes = new List<Tensor>();
            var scores = new List<Tensor>();
            var labels = new List<Tensor>();
            for (int level = 0; level < logits.Length; level++)
            {
                var levelScores = logits[level][i].sigmoid().flatten();
                var candidates = levelScores.gt(threshold).nonzero().flatten();
                var (top, order) = levelScores.index_select(0, candidates).topk((int)Math.Min(candidates.size(0), Options.TopkCandidates));
                var topIndices = candidates.index_select(0, order);
                var anchorIndices = topIndices.div(classes, RoundingMode.floor);
                var decoded = BoxCoder.DecodeSingle(deltas[level][i].index_select(0, anchorIndices), anchors[level].index_select(0, anchorIndices));
                boxes.Add(BoxOps.ClipBoxesToImage(decoded, sizes[i].Height, sizes[i].Width));
                scores.Add(top);
                labels.Add(topIndices.remainder(classes));
            }
            var imageBoxes = cat(boxes, 0);
            var imageScores = cat(scores, 0);
            var imageLabels = cat(labels, 0);
            var keep = BoxOps.BatchedNms(imageBoxes, imageScores, imageLabels, nmsThresh);
            keep = keep.narrow(0, 0, Math.Min(keep.size(0), detectionsPerImg));
            result[i] = new Detections(imageBoxes.index_select(0, keep), imageScores.index_select(0, keep), imageLabels.index_select(0, keep));
        }
        return result;
    }

    private protected override IReadOnlyDictionary<string, Tensor> ComputeLosses(Tensor batch,
        IReadOnlyList<(long Height, long Width)> sizes, IReadOnlyList<DetectionTarget> targets)
    {
        var features = backbone.call(batch);
        var logits = cat(head.ClassificationHead.call(features), 1);
        var deltas = cat(head.RegressionHead.call(features), 1);
        var anchors = AnchorGenerator.Generate(features, batch.size(2), batch.size(3));
        Tensor? classification = null, regression = null;
        for (int i = 0; i < targets.Count; i++)
        {
            var boxes = targets[i].Boxes;
            using Scalar belowLow = Matcher.BelowLowThreshold, between = Matcher.BetweenThresholds;
            var matched = boxes.size(0) == 0
                ? full(anchors.size(0), belowLow, ScalarType.Int64, anchors.device)
                : ProposalMatcher.Match(BoxOps.BoxIou(boxes, anchors));
            var foreground = matched.ge(DetectionScalars.ZeroLong).nonzero().flatten();
            // torchvision divides by max(1, foreground anchors), a count it keeps on the device.
            var divisor = matched.ge(DetectionScalars.ZeroLong).sum().clamp_min(DetectionScalars.OneLong).to(logits.dtype);
            var matchedGt = matched.index_select(0, foreground);

            var imageLogits = logits[i];
            var classTargets = zeros_like(imageLogits);
            classTargets.index_put_(ones(foreground.size(0), imageLogits.dtype, imageLogits.device), foreground, targets[i].Labels.index_select(0, matchedGt));
            var valid = matched.ne(between).nonzero().flatten();
            var focal = DetectionLosses.SigmoidFocalLoss(imageLogits.index_select(0, valid), classTargets.index_select(0, valid), reduction: nn.Reduction.Sum).div(divisor);

            var gtBoxes = boxes.index_select(0, matchedGt);
            var fgDeltas = deltas[i].index_select(0, foreground);
            var fgAnchors = anchors.index_select(0, foreground);
            var box = (BoxLoss == RetinaNetBoxLoss.L1
                ? nn.functional.l1_loss(fgDeltas, BoxCoder.Encode(gtBoxes, fgAnchors), nn.Reduction.Sum)
                : DetectionLosses.GeneralizedBoxIouLoss(BoxCoder.DecodeSingle(fgDeltas, fgAnchors), gtBoxes, nn.Reduction.Sum)).div(divisor);

            classification = classification is null ? focal : classification.add(focal, DetectionScalars.One);
            regression = regression is null ? box : regression.add(box, DetectionScalars.One);
        }
        using Scalar images = (double)targets.Count;
        return new Dictionary<string, Tensor>
        {
            ["classification"] = classification!.div(images),
            ["bbox_regression"] = regression!.div(images),
        };
    }

    /// <summary>Registers nothing: the constructor registered every child under torchvision's key.</summary>
    protected override void RegisterComponents()
    {
    }
}
