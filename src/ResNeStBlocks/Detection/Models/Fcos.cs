using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Dense;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// FCOS (Tian et al., 2019; torchvision's <c>FCOS</c>): a one-stage, anchor-free detector. Every location of every
/// pyramid level (one square anchor per location, its size the level's stride) predicts class logits, its distances to
/// the four sides of a box and a centre-ness; a detection's score is <c>sqrt(sigmoid(class) * sigmoid(centre-ness))</c>.
/// </summary>
/// <remarks>
/// Keys are torchvision's: <c>backbone.body.*</c>, <c>backbone.fpn.*</c> (pyramid on layer2..layer4 with P6 and P7),
/// <c>head.classification_head.*</c>, <c>head.regression_head.*</c>. Settings from <see cref="DetectionOptions"/>:
/// <see cref="DetectionOptions.ScoreThresh"/> (default 0.2), <see cref="DetectionOptions.NmsThresh"/> (0.6),
/// <see cref="DetectionOptions.DetectionsPerImg"/> (100), <see cref="DetectionOptions.TopkCandidates"/> and
/// <see cref="DetectionOptions.CenterSamplingRadius"/>. Build it with <see cref="DetectionModels.Create"/> (<c>fcos_resnet50_fpn</c>;
/// on the library's ResNeSt bodies <c>fcos_resnest50d_fpn</c>, <c>fcos_resnest101e_fpn</c>).
/// </remarks>
public sealed class Fcos : Detector
{
    private readonly nn.Module<Tensor, FeatureMaps> backbone;
    private readonly FcosHead head;
    private readonly AnchorGenerator anchorGenerator;
    private readonly BoxLinearCoder boxCoder = new(normalizeBySize: true);
    private readonly double scoreThresh;
    private readonly double nmsThresh;
    private readonly int detectionsPerImg;

    /// <summary>The backbone and pyramid (keys <c>backbone.*</c>): a <see cref="DetectionBackbone"/> for torchvision's ResNets, a <see cref="ResNetFpnBackbone"/> for the library's.</summary>
    public nn.Module<Tensor, FeatureMaps> Backbone => backbone;

    internal Fcos(nn.Module<Tensor, FeatureMaps> backbone, FcosHead head, AnchorGenerator anchorGenerator, DetectionOptions options) : base(nameof(Fcos), options)
    {
        this.backbone = backbone;
        this.head = head;
        this.anchorGenerator = anchorGenerator;
        scoreThresh = options.ScoreThresh ?? 0.2;
        nmsThresh = options.NmsThresh ?? 0.6;
        detectionsPerImg = options.DetectionsPerImg ?? 100;
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
    public override int NumClasses => head.NumClasses;

    /// <summary>The classification and regression heads (keys <c>head.*</c>).</summary>
    public FcosHead Head => head;

    /// <summary>The anchors: one square per location, sizes 8 to 128 on the five levels.</summary>
    public AnchorGenerator AnchorGenerator => anchorGenerator;

    /// <summary>The coder of the side distances (normalised by the anchor's size).</summary>
    internal BoxLinearCoder BoxCoder => boxCoder;

    private protected override IReadOnlyList<Detections> DetectBatch(Tensor batch, IReadOnlyList<(long Height, long Width)> sizes)
    {
        var (_, logits, regression, centerness, anchors, perLevel) = Forward(batch);
        using var threshold = scoreThresh.ToScalar();
        using var classes = ((long)NumClasses).ToScalar();
        var results = new Detections[sizes.Count];
        for (int i = 0; i < sizes.Count; i++)
        {
            using var scope = NewDisposeScope();
            var imageBoxes = new List<Tensor>();
            var imageScores = new List<Tensor>();
            var imageLabels = new List<Tensor>();
            long offset = 0;
            foreach (long count in perLevel)
            {
                var levelLogits = logits[i].narrow(0, offset, count);
                var levelCenterness = centerness[i].narrow(0, offset, count);
                var scores = levelLogits.sigmoid().mul(levelCenterness.sigmoid()).sqrt().flatten();
                var candidates = scores.gt(threshold).nonzero().flatten();
                scores = scores.index_select(0, candidates);
                var (top, order) = scores.topk((int)Math.Min(Options.TopkCandidates, candidates.size(0)));
                candidates = candidates.index_select(0, order);
                var anchorIndices = candidates.div(classes, RoundingMode.floor);
                var boxes = boxCoder.Decode(regression[i].narrow(0, offset, count).index_select(0, anchorIndices),
                    anchors.narrow(0, offset, count).index_select(0, anchorIndices));
                imageBoxes.Add(BoxOps.ClipBoxesToImage(boxes, sizes[i].Height, sizes[i].Width));
                imageScores.Add(top);
                imageLabels.Add(candidates.remainder(classes));
                offset += count;
            }
            var allBoxes = cat(imageBoxes, 0);
            var allScores = cat(imageScores, 0);
            var allLabels = cat(imageLabels, 0);
            var keep = BoxOps.BatchedNms(allBoxes, allScores, allLabels, nmsThresh);
            keep = keep.narrow(0, 0, Math.Min(keep.size(0), detectionsPerImg));
            results[i] = new Detections(allBoxes.index_select(0, keep), allScores.index_select(0, keep), allLabels.index_select(0, keep))
                .MoveToOuterDisposeScope();
        }
        return results;
    }

    private protected override IReadOnlyDictionary<string, Tensor> ComputeLosses(Tensor batch,
        IReadOnlyList<(long Height, long Width)> sizes, IReadOnlyList<DetectionTarget> targets)
    {
        using var scope = NewDisposeScope();
        var (_, logits, regression, centerness, anchors, perLevel) = Forward(batch);
        long locations = anchors.size(0);
        var classTargets = new Tensor[targets.Count];
        var boxTargets = new Tensor[targets.Count];
        for (int i = 0; i < targets.Count; i++)
        {
            var boxes = targets[i].Boxes;
            if (boxes.size(0) == 0)
            {
                classTargets[i] = full(new long[] { locations }, FcosTargets.MinusOneLong, ScalarType.Int64, boxes.device);
                boxTargets[i] = zeros(new long[] { locations, 4 }, boxes.dtype, boxes.device);
                continue;
            }
            var matched = FcosTargets.Match(anchors, boxes, perLevel, Options.CenterSamplingRadius);
            var index = matched.clamp(min: DetectionScalars.ZeroLong);
            classTargets[i] = targets[i].Labels.index_select(0, index).masked_fill(matched.lt(DetectionScalars.ZeroLong), FcosTargets.MinusOneLong);
            boxTargets[i] = boxes.index_select(0, index);
        }
        var gtClasses = stack(classTargets);
        var gtBoxes = stack(boxTargets);
        var foreground = gtClasses.ge(DetectionScalars.ZeroLong);
        long foregroundCount = foreground.sum().item<long>();
        var foregroundIndices = foreground.flatten().nonzero().flatten();

        var oneHot = nn.functional.one_hot(gtClasses.clamp(min: DetectionScalars.ZeroLong), NumClasses)
            .logical_and(foreground[.., .., TensorIndex.None]).to(logits.dtype);
        var classification = DetectionLosses.SigmoidFocalLoss(logits, oneHot, reduction: nn.Reduction.Sum);

        var predicted = boxCoder.Decode(regression, anchors).view(-1, 4).index_select(0, foregroundIndices);
        var gtForeground = gtBoxes.view(-1, 4).index_select(0, foregroundIndices);
        var boxRegression = DetectionLosses.GeneralizedBoxIouLoss(predicted, gtForeground, nn.Reduction.Sum);

        var centernessTargets = DetectionLosses.CenternessTargets(boxCoder.Encode(anchors, gtBoxes)).flatten().index_select(0, foregroundIndices);
        var centernessLogits = centerness.squeeze(2).flatten().index_select(0, foregroundIndices);
        var ctrness = DetectionLosses.CenternessLoss(centernessLogits, centernessTargets, nn.Reduction.Sum);

        using var divisor = ((double)Math.Max(1, foregroundCount)).ToScalar();
        var losses = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["classification"] = classification.div(divisor).MoveToOuterDisposeScope(),
            ["bbox_regression"] = boxRegression.div(divisor).MoveToOuterDisposeScope(),
            ["bbox_ctrness"] = ctrness.div(divisor).MoveToOuterDisposeScope(),
        };
        return losses;
    }

    /// <summary>The pyramid, the head's outputs over all levels, the anchors of all levels and the locations per level.</summary>
    private (FeatureMaps Features, Tensor Logits, Tensor Regression, Tensor Centerness, Tensor Anchors, long[] PerLevel) Forward(Tensor batch)
    {
        var features = backbone.call(batch);
        var (logits, regression, centerness) = head.call(features);
        var anchors = anchorGenerator.Generate(features, batch.size(2), batch.size(3));
        var perLevel = features.Select(f => f.size(2) * f.size(3)).ToArray();
        return (features, logits, regression, centerness, anchors, perLevel);
    }

    /// <summary>Registers nothing: the constructor registered every child under torchvision's key.</summary>
    protected override void RegisterComponents()
    {
    }
}
