using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Dense;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>The box heads' training forward (torchvision's <c>RoIHeads</c> in train mode, boxes only).</summary>
public sealed partial class RoiHeads
{
    private static readonly Scalar Background = 0L;
    private static readonly Scalar Ignored = -1L;
    private static readonly Scalar Below = Matcher.BelowLowThreshold;
    private static readonly Scalar Between = Matcher.BetweenThresholds;
    private IPositiveNegativeSampler? sampler;
    private Matcher? proposalMatcher;

    /// <summary>
    /// Chooses the proposals the losses read; by default torchvision's random
    /// <see cref="BalancedPositiveNegativeSampler"/> with <c>BoxBatchSizePerImage</c> and <c>BoxPositiveFraction</c>.
    /// Replace it with a seeded or deterministic sampler for repeatable losses.
    /// </summary>
    public IPositiveNegativeSampler Sampler
    {
        get => sampler ??= new BalancedPositiveNegativeSampler(options.BoxBatchSizePerImage, options.BoxPositiveFraction);
        set => sampler = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Assigns proposals to ground truth: <c>BoxFgIouThresh</c>, <c>BoxBgIouThresh</c>, no low-quality matches.</summary>
    public Matcher ProposalMatcher => proposalMatcher ??= new Matcher(options.BoxFgIouThresh, options.BoxBgIouThresh);

    /// <summary>
    /// torchvision's train-mode forward of the box branch: the ground-truth boxes join each image's proposals, every
    /// proposal is matched and labelled, the sampler picks the ones the losses read, and <c>fastrcnn_loss</c> gives
    /// <c>loss_classifier</c> (cross-entropy, mean over the sampled proposals) and <c>loss_box_reg</c> (smooth L1,
    /// beta 1/9, of the positives' deltas of their own class against their encoded ground truth, summed and divided by
    /// the number of sampled proposals).
    /// </summary>
    /// <param name="features">The pyramid.</param>
    /// <param name="proposals">Per image, [P_i, 4] proposals (detached).</param>
    /// <param name="imageSizes">Each image's size inside the batch.</param>
    /// <param name="targets">Per image, the ground truth in the batch's pixels (no boxes: a background image).</param>
    /// <returns><c>loss_classifier</c> and <c>loss_box_reg</c>.</returns>
    public (Tensor ClassifierLoss, Tensor BoxLoss) Losses(FeatureMaps features, IReadOnlyList<Tensor> proposals,
        IReadOnlyList<(long Height, long Width)> imageSizes, IReadOnlyList<DetectionTarget> targets)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(proposals);
        ArgumentNullException.ThrowIfNull(imageSizes);
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.Count != proposals.Count)
            throw new ArgumentException($"targets must hold one target per image: {proposals.Count} proposal tensors, {targets.Count} targets.", nameof(targets));
        using var scope = NewDisposeScope();
        var (classifierLoss, boxLoss, _) = TrainingLosses(features, proposals, imageSizes, targets, withMask: false);
        return (classifierLoss.MoveToOuterDisposeScope(), boxLoss.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// torchvision's train-mode forward of the box and mask branches (Mask R-CNN): <see cref="Losses"/>' two losses and
    /// <c>loss_mask</c> from <c>maskrcnn_loss</c>: the sampled positives are pooled by the mask branch, and each one's
    /// logits of its own class are compared (binary cross-entropy with logits, mean) with its matched ground-truth mask
    /// cut out by its box (<c>roi_align</c> to the logits' size, adaptive sampling, not aligned); zero, with gradients,
    /// when the batch has no positive.
    /// </summary>
    /// <param name="features">The pyramid.</param>
    /// <param name="proposals">Per image, [P_i, 4] proposals (detached).</param>
    /// <param name="imageSizes">Each image's size inside the batch.</param>
    /// <param name="targets">Per image, the ground truth in the batch's pixels, with one [K, H, W] mask per box.</param>
    /// <returns><c>loss_classifier</c>, <c>loss_box_reg</c> and <c>loss_mask</c>.</returns>
    /// <exception cref="InvalidOperationException">The heads have no mask branch.</exception>
    /// <exception cref="ArgumentException">A target has no masks.</exception>
    public (Tensor ClassifierLoss, Tensor BoxLoss, Tensor MaskLoss) LossesWithMask(FeatureMaps features, IReadOnlyList<Tensor> proposals,
        IReadOnlyList<(long Height, long Width)> imageSizes, IReadOnlyList<DetectionTarget> targets)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(proposals);
        ArgumentNullException.ThrowIfNull(imageSizes);
        ArgumentNullException.ThrowIfNull(targets);
        if (maskHead is null || maskPredictor is null || MaskRoiPool is null)
            throw new InvalidOperationException("These heads have no mask branch; build them with maskRoiPool, maskHead and maskPredictor (Mask R-CNN).");
        if (targets.Count != proposals.Count)
            throw new ArgumentException($"targets must hold one target per image: {proposals.Count} proposal tensors, {targets.Count} targets.", nameof(targets));
        for (int i = 0; i < targets.Count; i++)
        {
            if (targets[i]?.Masks is null)
                throw new ArgumentException(MissingMasks(i), nameof(targets));
        }
        using var scope = NewDisposeScope();
        var (classifierLoss, boxLoss, maskLoss) = TrainingLosses(features, proposals, imageSizes, targets, withMask: true);
        return (classifierLoss.MoveToOuterDisposeScope(), boxLoss.MoveToOuterDisposeScope(), maskLoss!.MoveToOuterDisposeScope());
    }

    /// <summary>The refusal of a Mask R-CNN target without masks.</summary>
    internal static string MissingMasks(int target) =>
        $"Target {target} has no masks: Mask R-CNN trains on one [K, H, W] mask per box; pass them as new DetectionTarget(boxes, labels, masks).";

    private (Tensor ClassifierLoss, Tensor BoxLoss, Tensor? MaskLoss) TrainingLosses(FeatureMaps features, IReadOnlyList<Tensor> proposals,
        IReadOnlyList<(long Height, long Width)> imageSizes, IReadOnlyList<DetectionTarget> targets, bool withMask)
    {
        var (sampledProposals, matched, labels, regressionTargets) = SelectTrainingSamples(proposals, targets);
        var pooled = BoxRoiPool.Pool(features, sampledProposals, imageSizes);
        var (logits, deltas) = boxPredictor.call(boxHead.call(pooled));
        var (classifierLoss, boxLoss) = FastRcnnLoss(logits, deltas, cat(labels, 0), cat(regressionTargets, 0));
        var maskLoss = withMask ? MaskLoss(features, sampledProposals, matched, labels, imageSizes, targets) : null;
        return (classifierLoss, boxLoss, maskLoss);
    }

    /// <summary>
    /// torchvision's mask branch in train mode and <c>maskrcnn_loss</c>: per image, the sampled positives (label &gt; 0)
    /// with their matched box indices; their logits of their own class against their matched masks projected on them.
    /// </summary>
    private Tensor MaskLoss(FeatureMaps features, Tensor[] sampledProposals, Tensor[] matched, Tensor[] labels,
        IReadOnlyList<(long Height, long Width)> imageSizes, IReadOnlyList<DetectionTarget> targets)
    {
        int images = sampledProposals.Length;
        var boxes = new Tensor[images];
        var matchedIndices = new Tensor[images];
        var classes = new Tensor[images];
        for (int i = 0; i < images; i++)
        {
            var positive = labels[i].gt(DetectionScalars.ZeroLong).nonzero().flatten();
            boxes[i] = sampledProposals[i].index_select(0, positive);
            matchedIndices[i] = matched[i].index_select(0, positive);
            // A positive's label is its matched box's class (torchvision's gt_label[idxs]).
            classes[i] = labels[i].index_select(0, positive);
        }
        var logits = maskPredictor!.call(maskHead!.call(MaskRoiPool!.Pool(features, boxes, imageSizes)));
        long size = logits.size(-1);
        var projected = new List<Tensor>();
        for (int i = 0; i < images; i++)
        {
            if (boxes[i].size(0) == 0)
                continue;
            // project_masks_on_boxes: each positive's matched mask (the roi's batch index) cut out by its box.
            var rois = cat(new[] { matchedIndices[i].to(boxes[i].dtype).unsqueeze(1), boxes[i] }, 1);
            var masks = targets[i].Masks!.unsqueeze(1).to(boxes[i].dtype, boxes[i].device);
            projected.Add(RoiOps.RoiAlign(masks, rois, (int)size, (int)size, 1.0, samplingRatio: -1, aligned: false).select(1, 0));
        }
        // binary_cross_entropy_with_logits cannot average nothing: torchvision's mask_logits.sum() * 0.
        if (projected.Count == 0)
            return logits.sum().mul(DetectionScalars.Zero);
        var own = cat(classes, 0).view(-1, 1, 1, 1).expand(-1, 1, size, size);
        return nn.functional.binary_cross_entropy_with_logits(logits.gather(1, own).squeeze(1), cat(projected, 0));
    }

    /// <summary>
    /// torchvision's <c>select_training_samples</c>: per image, the proposals with the ground truth appended, sampled,
    /// with their matched box indices (what a mask branch reads), class labels (0 background) and the regression targets
    /// of their matched boxes.
    /// </summary>
    private (Tensor[] Proposals, Tensor[] MatchedIndices, Tensor[] Labels, Tensor[] RegressionTargets) SelectTrainingSamples(
        IReadOnlyList<Tensor> proposals, IReadOnlyList<DetectionTarget> targets)
    {
        int images = proposals.Count;
        var dtype = proposals[0].dtype;
        var withTruth = new Tensor[images];
        var labels = new Tensor[images];
        var matched = new Tensor[images];
        for (int i = 0; i < images; i++)
        {
            var boxes = targets[i].Boxes.to(dtype);
            withTruth[i] = cat(new[] { proposals[i], boxes }, 0);
            (matched[i], labels[i]) = AssignTargets(withTruth[i], boxes, targets[i].Labels);
        }
        var (positive, negative) = Sampler.Sample(labels);
        var matchedBoxes = new Tensor[images];
        for (int i = 0; i < images; i++)
        {
            var sampled = positive[i].logical_or(negative[i]).nonzero().flatten();
            withTruth[i] = withTruth[i].index_select(0, sampled);
            labels[i] = labels[i].index_select(0, sampled);
            var boxes = targets[i].Boxes.to(dtype);
            // A background image's proposals all match a zero box, whose targets no loss reads (they are negatives).
            if (boxes.size(0) == 0)
                boxes = zeros(new long[] { 1, 4 }, dtype, boxes.device);
            matched[i] = matched[i].index_select(0, sampled);
            matchedBoxes[i] = boxes.index_select(0, matched[i]);
        }
        return (withTruth, matched, labels, BoxCoder.Encode(matchedBoxes, withTruth));
    }

    /// <summary>
    /// torchvision's <c>assign_targets_to_proposals</c> for one image: each proposal's matched box index (clamped to 0
    /// for the unmatched) and its label (the box's class, 0 below the low threshold, -1 between the thresholds).
    /// </summary>
    private (Tensor Matched, Tensor Labels) AssignTargets(Tensor proposals, Tensor boxes, Tensor classes)
    {
        if (boxes.size(0) == 0)
            return (zeros(proposals.size(0), ScalarType.Int64, proposals.device), zeros(proposals.size(0), ScalarType.Int64, proposals.device));
        var matches = ProposalMatcher.Match(BoxOps.BoxIou(boxes, proposals));
        var clamped = matches.clamp_min(DetectionScalars.ZeroLong);
        var labels = classes.index_select(0, clamped).masked_fill(matches.eq(Below), Background).masked_fill(matches.eq(Between), Ignored);
        return (clamped, labels);
    }

    /// <summary>torchvision's <c>fastrcnn_loss</c>.</summary>
    private static (Tensor ClassifierLoss, Tensor BoxLoss) FastRcnnLoss(Tensor logits, Tensor deltas, Tensor labels, Tensor regressionTargets)
    {
        var classifierLoss = nn.functional.cross_entropy(logits, labels);
        var positives = labels.gt(DetectionScalars.ZeroLong).nonzero().flatten();
        long n = logits.size(0);
        var positiveClasses = labels.index_select(0, positives);
        // Each positive's deltas of its own class: [P, 4].
        var ownDeltas = deltas.reshape(n, -1, 4).index_select(0, positives)
            .gather(1, positiveClasses.view(-1, 1, 1).expand(-1, 1, 4)).squeeze(1);
        using var count = ((double)labels.numel()).ToScalar();
        var boxLoss = DetectionLosses.SmoothL1Loss(ownDeltas, regressionTargets.index_select(0, positives), 1.0 / 9, nn.Reduction.Sum).div(count);
        return (classifierLoss, boxLoss);
    }
}
