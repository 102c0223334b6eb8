using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Dense;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>The region proposal network's training forward (torchvision's <c>RegionProposalNetwork</c> in train mode).</summary>
public sealed partial class RegionProposalNetwork
{
    private static readonly Scalar Discarded = -1L;
    private static readonly Scalar Between = Matcher.BetweenThresholds;
    private IPositiveNegativeSampler? sampler;
    private Matcher? matcher;

    /// <summary>
    /// Chooses the anchors the losses read; by default torchvision's random
    /// <see cref="BalancedPositiveNegativeSampler"/> with <c>RpnBatchSizePerImage</c> and <c>RpnPositiveFraction</c>.
    /// Replace it with a seeded or deterministic sampler for repeatable losses.
    /// </summary>
    public IPositiveNegativeSampler Sampler
    {
        get => sampler ??= new BalancedPositiveNegativeSampler(options.RpnBatchSizePerImage, options.RpnPositiveFraction);
        set => sampler = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Assigns anchors to ground truth: <c>RpnFgIouThresh</c>, <c>RpnBgIouThresh</c>, low-quality matches allowed.</summary>
    public Matcher ProposalMatcher => matcher ??= new Matcher(options.RpnFgIouThresh, options.RpnBgIouThresh, allowLowQualityMatches: true);

    /// <summary>
    /// torchvision's train-mode forward: proposals with the training top-n (<c>RpnPreNmsTopNTrain</c>,
    /// <c>RpnPostNmsTopNTrain</c>), detached, and the two RPN losses over the sampled anchors: binary cross-entropy
    /// with logits of the objectness (mean over the sampled anchors) and smooth L1 (beta 1/9, summed) of the positives'
    /// deltas against their encoded ground truth, divided by the number of sampled anchors.
    /// </summary>
    /// <param name="batchHeight">The padded batch's height.</param>
    /// <param name="batchWidth">The padded batch's width.</param>
    /// <param name="imageSizes">Each image's size inside the batch.</param>
    /// <param name="features">The pyramid levels, every one of which is read.</param>
    /// <param name="targetBoxes">Per image, [K_i, 4] ground-truth boxes in the batch's pixels (K_i may be 0: every anchor
    /// of that image is background).</param>
    /// <returns>Per image, [P_i, 4] proposals, best first; <c>loss_objectness</c> and <c>loss_rpn_box_reg</c>.</returns>
    public (Tensor[] Proposals, Tensor ObjectnessLoss, Tensor BoxLoss) ProposeWithLosses(long batchHeight, long batchWidth,
        IReadOnlyList<(long Height, long Width)> imageSizes, FeatureMaps features, IReadOnlyList<Tensor> targetBoxes)
    {
        ArgumentNullException.ThrowIfNull(imageSizes);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(targetBoxes);
        if (targetBoxes.Count != imageSizes.Count)
            throw new ArgumentException($"targetBoxes must hold one [K, 4] tensor per image: {imageSizes.Count} images, {targetBoxes.Count} tensors.", nameof(targetBoxes));
        for (int i = 0; i < targetBoxes.Count; i++)
            BoxChecks.Boxes(targetBoxes[i], $"{nameof(targetBoxes)}[{i}]", floating: true);
        using var scope = NewDisposeScope();
        var (proposals, objectness, deltas, anchors) = Run(batchHeight, batchWidth, imageSizes, features,
            options.RpnPreNmsTopNTrain, options.RpnPostNmsTopNTrain);

        var labels = new Tensor[targetBoxes.Count];
        var regressionTargets = new Tensor[targetBoxes.Count];
        for (int i = 0; i < targetBoxes.Count; i++)
        {
            var (imageLabels, matchedBoxes) = AssignTargets(anchors, targetBoxes[i].to(anchors.dtype));
            labels[i] = imageLabels;
            regressionTargets[i] = BoxCoder.Encode(matchedBoxes, anchors);
        }
        var (positive, negative) = Sampler.Sample(labels);
        var positives = cat(positive, 0).nonzero().flatten();
        var negatives = cat(negative, 0).nonzero().flatten();
        var sampled = cat(new[] { positives, negatives }, 0);
        using var sampledCount = ((double)sampled.numel()).ToScalar();
        var boxLoss = DetectionLosses.SmoothL1Loss(deltas.index_select(0, positives), cat(regressionTargets, 0).index_select(0, positives),
            1.0 / 9, nn.Reduction.Sum).div(sampledCount);
        var objectnessLoss = nn.functional.binary_cross_entropy_with_logits(objectness.index_select(0, sampled),
            cat(labels, 0).index_select(0, sampled).to(objectness.dtype));
        foreach (var p in proposals)
            p.MoveToOuterDisposeScope();
        return (proposals, objectnessLoss.MoveToOuterDisposeScope(), boxLoss.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// torchvision's <c>assign_targets_to_anchors</c> for one image: labels 1 (matched), 0 (background) or -1 (between
    /// the thresholds, ignored), and each anchor's matched box (the first box for the unmatched, zeros for an image
    /// without boxes; only the positives' are read).
    /// </summary>
    private (Tensor Labels, Tensor MatchedBoxes) AssignTargets(Tensor anchors, Tensor boxes)
    {
        if (boxes.size(0) == 0)
            return (zeros(anchors.size(0), ScalarType.Int64, anchors.device), zeros_like(anchors));
        var matches = ProposalMatcher.Match(BoxOps.BoxIou(boxes, anchors));
        var matchedBoxes = boxes.index_select(0, matches.clamp_min(DetectionScalars.ZeroLong));
        var labels = matches.ge(DetectionScalars.ZeroLong).to(ScalarType.Int64).masked_fill(matches.eq(Between), Discarded);
        return (labels, matchedBoxes);
    }
}
