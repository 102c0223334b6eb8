using System;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ResNeStBlocks.Detection;

/// <summary>
/// The losses torchvision's detectors train with, with its formulas: smooth L1 (R-CNN box regression), sigmoid focal
/// loss (RetinaNet, FCOS classification), generalized IoU loss (FCOS box regression) and FCOS's centre-ness.
/// All are differentiable with respect to their first input.
/// </summary>
public static class DetectionLosses
{
    /// <summary>
    /// Smooth L1 (Huber with slope 1; PyTorch's <c>F.smooth_l1_loss</c>): <c>0.5 d^2 / beta</c> where <c>|d| &lt; beta</c>,
    /// <c>|d| - 0.5 beta</c> elsewhere; <c>beta = 0</c> is L1. Faster R-CNN uses <c>beta = 1/9</c> and a sum.
    /// </summary>
    /// <param name="input">Predictions.</param>
    /// <param name="target">Targets, shaped as <paramref name="input"/>.</param>
    /// <param name="beta">Where the quadratic part ends (0 or more).</param>
    /// <param name="reduction">None, Mean or Sum.</param>
    /// <returns>The loss.</returns>
    public static Tensor SmoothL1Loss(Tensor input, Tensor target, double beta = 1.0, Reduction reduction = Reduction.Mean)
    {
        CheckPair(input, nameof(input), target, nameof(target));
        if (!(beta >= 0) || double.IsInfinity(beta))
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta must be 0 or a positive number.");
        return functional.smooth_l1_loss(input, target, reduction, beta);
    }

    /// <summary>
    /// The sigmoid focal loss (torchvision's <c>sigmoid_focal_loss</c>, Lin et al. 2017): binary cross-entropy with logits
    /// times <c>(1 - p_t)^gamma</c>, weighted by <c>alpha</c> for positives and <c>1 - alpha</c> for negatives
    /// (no weighting when alpha is negative).
    /// </summary>
    /// <param name="inputs">Logits.</param>
    /// <param name="targets">Targets in [0, 1], shaped as the logits.</param>
    /// <param name="alpha">The positives' weight in [0, 1], or negative for none (0.25).</param>
    /// <param name="gamma">The focusing exponent (2).</param>
    /// <param name="reduction">None (torchvision's default), Mean or Sum.</param>
    /// <returns>The loss.</returns>
    public static Tensor SigmoidFocalLoss(Tensor inputs, Tensor targets, double alpha = 0.25, double gamma = 2.0, Reduction reduction = Reduction.None)
    {
        CheckPair(inputs, nameof(inputs), targets, nameof(targets));
        if (double.IsNaN(alpha) || alpha > 1)
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be in [0, 1], or negative for no weighting.");
        if (!(gamma >= 0) || double.IsInfinity(gamma))
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "gamma must be 0 or a positive number.");
        using var scope = NewDisposeScope();
        var p = inputs.sigmoid();
        var crossEntropy = functional.binary_cross_entropy_with_logits(inputs, targets, reduction: Reduction.None);
        var oneMinusP = ones_like(p).sub(p);
        var oneMinusTargets = ones_like(targets).sub(targets);
        var pT = p.mul(targets).add(oneMinusP.mul(oneMinusTargets), DetectionScalars.One);
        using var exponent = gamma.ToScalar();
        var loss = crossEntropy.mul(ones_like(pT).sub(pT).pow(exponent));
        if (alpha >= 0)
        {
            using var a = alpha.ToScalar();
            using var notA = (1 - alpha).ToScalar();
            loss = targets.mul(a).add(oneMinusTargets.mul(notA), DetectionScalars.One).mul(loss);
        }
        return Reduce(loss, reduction).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The generalized IoU loss of paired boxes (torchvision's <c>generalized_box_iou_loss</c>): <c>1 - GIoU</c>, with
    /// <paramref name="eps"/> in both denominators. Mean over no boxes is 0, as in torchvision.
    /// </summary>
    /// <param name="boxes1">[..., 4] predicted boxes (x1, y1, x2, y2).</param>
    /// <param name="boxes2">[..., 4] target boxes, paired with <paramref name="boxes1"/>.</param>
    /// <param name="reduction">None (torchvision's default), Mean or Sum.</param>
    /// <param name="eps">Keeps the divisions finite (1e-7).</param>
    /// <returns>The loss, in [0, 2] per pair.</returns>
    public static Tensor GeneralizedBoxIouLoss(Tensor boxes1, Tensor boxes2, Reduction reduction = Reduction.None, double eps = 1e-7)
    {
        BoxChecks.Boxes(boxes1, nameof(boxes1), anyLeading: true);
        BoxChecks.Boxes(boxes2, nameof(boxes2), anyLeading: true);
        CheckPair(boxes1, nameof(boxes1), boxes2, nameof(boxes2));
        using var scope = NewDisposeScope();
        var a = boxes1.dtype is ScalarType.Float32 or ScalarType.Float64 ? boxes1 : boxes1.to(ScalarType.Float32);
        var b = boxes2.dtype is ScalarType.Float32 or ScalarType.Float64 ? boxes2 : boxes2.to(ScalarType.Float32);
        var p = a.unbind(-1);
        var g = b.unbind(-1);
        var (x1, y1, x2, y2) = (p[0], p[1], p[2], p[3]);
        var (x1g, y1g, x2g, y2g) = (g[0], g[1], g[2], g[3]);
        var left = maximum(x1, x1g);
        var top = maximum(y1, y1g);
        var right = minimum(x2, x2g);
        var bottom = minimum(y2, y2g);
        // torchvision writes the product only where the boxes overlap; elsewhere the intersection (and its gradient) is 0.
        var overlaps = bottom.gt(top).logical_and(right.gt(left));
        var intersection = right.sub(left).mul(bottom.sub(top)).where(overlaps, zeros_like(x1));
        var union = x2.sub(x1).mul(y2.sub(y1)).add(x2g.sub(x1g).mul(y2g.sub(y1g)), DetectionScalars.One).sub(intersection);
        using var epsilon = eps.ToScalar();
        var iou = intersection.div(union.add(epsilon, DetectionScalars.One));
        var enclosing = maximum(x2, x2g).sub(minimum(x1, x1g)).mul(maximum(y2, y2g).sub(minimum(y1, y1g)));
        var giou = iou.sub(enclosing.sub(union).div(enclosing.add(epsilon, DetectionScalars.One)));
        var loss = ones_like(giou).sub(giou);
        if (reduction == Reduction.Mean && loss.numel() == 0)
            return loss.sum().mul(DetectionScalars.Zero).MoveToOuterDisposeScope();
        return Reduce(loss, reduction).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// FCOS's centre-ness targets from regression targets (left, top, right, bottom):
    /// <c>sqrt(min(l, r) / max(l, r) * min(t, b) / max(t, b))</c>.
    /// </summary>
    /// <param name="regressionTargets">[..., 4] distances from each anchor's centre to its box's sides
    /// (<see cref="BoxLinearCoder.Encode"/>).</param>
    /// <returns>[...] targets in [0, 1] for anchors inside their box.</returns>
    public static Tensor CenternessTargets(Tensor regressionTargets)
    {
        BoxChecks.Boxes(regressionTargets, nameof(regressionTargets), anyLeading: true, floating: true);
        using var scope = NewDisposeScope();
        var l = regressionTargets[TensorIndex.Ellipsis, 0];
        var t = regressionTargets[TensorIndex.Ellipsis, 1];
        var r = regressionTargets[TensorIndex.Ellipsis, 2];
        var b = regressionTargets[TensorIndex.Ellipsis, 3];
        var horizontal = minimum(l, r).div(maximum(l, r));
        var vertical = minimum(t, b).div(maximum(t, b));
        return horizontal.mul(vertical).sqrt().MoveToOuterDisposeScope();
    }

    /// <summary>FCOS's centre-ness loss: binary cross-entropy of the centre-ness logits against the targets (a sum in FCOS).</summary>
    /// <param name="logits">Predicted centre-ness logits of the foreground anchors.</param>
    /// <param name="targets">Their targets (<see cref="CenternessTargets"/>).</param>
    /// <param name="reduction">Sum (FCOS, before dividing by the foreground count), Mean or None.</param>
    /// <returns>The loss.</returns>
    public static Tensor CenternessLoss(Tensor logits, Tensor targets, Reduction reduction = Reduction.Sum)
    {
        CheckPair(logits, nameof(logits), targets, nameof(targets));
        return functional.binary_cross_entropy_with_logits(logits, targets, reduction: reduction);
    }

    private static Tensor Reduce(Tensor loss, Reduction reduction) => reduction switch
    {
        Reduction.None => loss.alias(),
        Reduction.Mean => loss.mean(),
        Reduction.Sum => loss.sum(),
        _ => throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "reduction must be None, Mean or Sum."),
    };

    private static void CheckPair(Tensor a, string aName, Tensor b, string bName)
    {
        ArgumentNullException.ThrowIfNull(a, aName);
        ArgumentNullException.ThrowIfNull(b, bName);
        if (!a.shape.AsSpan().SequenceEqual(b.shape))
            throw new ArgumentException($"{bName} must have the shape of {aName} ({BoxChecks.Shape(a)}), got {BoxChecks.Shape(b)}.", bName);
        if (!a.dtype.IsFloatingPoint() || a.dtype != b.dtype)
            throw new ArgumentException($"{aName} and {bName} must be floating point of one dtype, got {a.dtype} and {b.dtype}.", bName);
        BoxChecks.SameDevice(b, bName, a, aName);
    }
}
