using System;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Vision;

/// <summary>Losses for semantic segmentation over logits <c>[N, C, H, W]</c> and class indices <c>[N, H, W]</c> (int64).</summary>
public static class SegmentationLosses
{
    /// <summary>
    /// The multi-class soft Dice loss of segmentation_models_pytorch's <c>DiceLoss(mode="multiclass")</c> with its
    /// defaults (<c>from_logits=True</c>, <c>log_loss=False</c>, <c>smooth=0.0</c>, <c>eps=1e-7</c>): probabilities are
    /// the softmax over classes; per class <c>c</c>, summed over the batch and all pixels,
    /// <c>dice_c = (2 * sum(p_c * t_c) + smooth) / max(sum(p_c + t_c) + smooth, eps)</c> with <c>t_c</c> the one-hot
    /// target; the loss is <c>mean over all C classes of (1 - dice_c) * [class c occurs in the target]</c>, so a class
    /// absent from the batch's target contributes 0 but still counts in the mean. Pixels equal to
    /// <paramref name="ignoreIndex"/> are left out of both sums.
    /// </summary>
    /// <param name="logits">Float <c>[N, C, H, W]</c>.</param>
    /// <param name="target">Int64 <c>[N, H, W]</c> of class indices in [0, C) or <paramref name="ignoreIndex"/>.</param>
    /// <param name="smooth">Added to numerator and denominator (smp: 0).</param>
    /// <param name="eps">Smallest denominator (smp: 1e-7).</param>
    /// <param name="ignoreIndex">The label of pixels to ignore, or null (smp's default) for none.</param>
    /// <returns>The scalar loss.</returns>
    public static Tensor Dice(Tensor logits, Tensor target, double smooth = 0.0, double eps = 1e-7, long? ignoreIndex = null)
    {
        Check(logits, target);
        using var scope = NewDisposeScope();
        long n = logits.shape[0], classes = logits.shape[1];
        var probabilities = logits.log_softmax(1).exp().view(n, classes, -1);
        var labels = target.view(n, -1);
        Tensor oneHot;
        if (ignoreIndex is long ignore)
        {
            using Scalar ignored = ignore;
            var valid = labels.ne(ignored);
            probabilities = probabilities.mul(valid.unsqueeze(1));
            oneHot = nn.functional.one_hot(where(valid, labels, zeros_like(labels)), classes).permute(0, 2, 1).mul(valid.unsqueeze(1));
        }
        else
        {
            oneHot = nn.functional.one_hot(labels, classes).permute(0, 2, 1);
        }
        oneHot = oneHot.to(probabilities.dtype);
        var dims = new long[] { 0, 2 };
        using Scalar two = 2.0, smoothing = smooth, floor = eps;
        var intersection = probabilities.mul(oneHot).sum(dims);
        var cardinality = probabilities.add(oneHot, HeldScalars.One).sum(dims);
        var dice = intersection.mul(two).add_(smoothing, HeldScalars.One).div(cardinality.add(smoothing, HeldScalars.One).clamp_min(floor));
        var present = oneHot.sum(dims).gt(Zero.Value).to(dice.dtype);
        return ones_like(dice).sub(dice).mul(present).mean().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The softmax focal loss per pixel (Lin et al. 2017 without the alpha weight, as segmentation code uses it):
    /// <c>ce = -log softmax(logits)[target]</c>, <c>p_t = exp(-ce)</c>, loss <c>(1 - p_t)^gamma * ce</c> averaged over
    /// the pixels whose label is not <paramref name="ignoreIndex"/> (0 when every pixel is ignored). <c>gamma = 0</c> is
    /// the cross-entropy with <c>ignore_index</c>.
    /// </summary>
    /// <param name="logits">Float <c>[N, C, H, W]</c>.</param>
    /// <param name="target">Int64 <c>[N, H, W]</c> of class indices in [0, C) or <paramref name="ignoreIndex"/>.</param>
    /// <param name="gamma">The focusing exponent, 0 or more (2).</param>
    /// <param name="ignoreIndex">The label of pixels to ignore (255, VOC's boundary label).</param>
    /// <returns>The scalar loss.</returns>
    public static Tensor Focal(Tensor logits, Tensor target, double gamma = 2.0, long ignoreIndex = 255)
    {
        Check(logits, target);
        if (!(gamma >= 0) || double.IsInfinity(gamma))
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, $"Expected gamma of 0 or more, got {gamma}.");
        using var scope = NewDisposeScope();
        var crossEntropy = nn.functional.cross_entropy(logits, target, ignore_index: ignoreIndex, reduction: nn.Reduction.None);
        var pT = crossEntropy.neg().exp();
        using Scalar exponent = gamma, ignored = ignoreIndex;
        var loss = ones_like(pT).sub(pT).pow(exponent).mul(crossEntropy);
        var count = target.ne(ignored).sum().clamp_min(One.Value).to(loss.dtype);
        return loss.sum().div(count).MoveToOuterDisposeScope();
    }

    private static void Check(Tensor logits, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(target);
        if (logits.dim() != 4 || !logits.is_floating_point())
            throw new ArgumentException($"Expected float logits [N, C, H, W], got {logits.dtype} [{string.Join(", ", logits.shape)}].", nameof(logits));
        if (target.dim() != 3 || target.dtype != ScalarType.Int64 || target.shape[0] != logits.shape[0] || target.shape[1] != logits.shape[2] || target.shape[2] != logits.shape[3])
            throw new ArgumentException(
                $"Expected an int64 target [{logits.shape[0]}, {logits.shape[2]}, {logits.shape[3]}] (the logits' batch and size), got {target.dtype} [{string.Join(", ", target.shape)}]; convert a mask with .to(ScalarType.Int64).",
                nameof(target));
    }

    private static class Zero
    {
        public static readonly Scalar Value = 0.0;
    }

    private static class One
    {
        public static readonly Scalar Value = 1L;
    }
}
