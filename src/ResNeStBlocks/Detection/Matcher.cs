using System;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection;

/// <summary>
/// Assigns each prediction (anchor or proposal) to the ground-truth box it overlaps most (torchvision's
/// <c>det_utils.Matcher</c>): quality at or above the high threshold keeps the match, below the low threshold gives
/// <see cref="BelowLowThreshold"/>, in between <see cref="BetweenThresholds"/>. With low-quality matches allowed, every
/// prediction that is the best one for some ground truth keeps its match whatever its quality (Faster R-CNN's RPN).
/// </summary>
public sealed class Matcher
{
    /// <summary>The match of a prediction whose best quality is below the low threshold (a negative).</summary>
    public const long BelowLowThreshold = -1;

    /// <summary>The match of a prediction whose best quality is between the thresholds (ignored).</summary>
    public const long BetweenThresholds = -2;

    private static readonly Scalar Below = BelowLowThreshold;
    private static readonly Scalar Between = BetweenThresholds;
    private readonly Scalar high;
    private readonly Scalar low;

    /// <summary>Creates the matcher.</summary>
    /// <param name="highThreshold">Quality at or above this is a match (e.g. 0.7 for the RPN, 0.5 for the box head).</param>
    /// <param name="lowThreshold">Quality below this is a negative; it must not exceed the high threshold.</param>
    /// <param name="allowLowQualityMatches">Keep each ground truth's best predictions matched whatever their quality.</param>
    public Matcher(double highThreshold, double lowThreshold, bool allowLowQualityMatches = false)
    {
        if (double.IsNaN(highThreshold) || double.IsNaN(lowThreshold) || lowThreshold > highThreshold)
            throw new ArgumentOutOfRangeException(nameof(lowThreshold), lowThreshold,
                $"lowThreshold must be a number no greater than highThreshold ({highThreshold}).");
        HighThreshold = highThreshold;
        LowThreshold = lowThreshold;
        AllowLowQualityMatches = allowLowQualityMatches;
        high = highThreshold;
        low = lowThreshold;
    }

    /// <summary>Quality at or above this is a match.</summary>
    public double HighThreshold { get; }

    /// <summary>Quality below this is a negative.</summary>
    public double LowThreshold { get; }

    /// <summary>Whether each ground truth's best predictions keep their match whatever their quality.</summary>
    public bool AllowLowQualityMatches { get; }

    /// <summary>Matches every prediction, without reading anything back from the device.</summary>
    /// <param name="matchQuality">[G, P] quality (IoU) of ground truth g and prediction p.</param>
    /// <returns>[P] int64: the index of the matched ground truth, or <see cref="BelowLowThreshold"/> or
    /// <see cref="BetweenThresholds"/>. Ties go to the first ground truth, as torch's <c>max</c> picks them.</returns>
    public Tensor Match(Tensor matchQuality)
    {
        ArgumentNullException.ThrowIfNull(matchQuality);
        if (matchQuality.dim() != 2)
            throw new ArgumentException($"matchQuality must be a [ground truths, predictions] matrix, got {BoxChecks.Shape(matchQuality)}.", nameof(matchQuality));
        if (matchQuality.numel() == 0)
            throw new ArgumentException(matchQuality.size(0) == 0
                ? "No ground-truth boxes available for one of the images during training."
                : "No proposal boxes available for one of the images during training.", nameof(matchQuality));
        using var scope = NewDisposeScope();
        var (values, best) = matchQuality.max(0);
        var belowLow = values.lt(low);
        var between = values.ge(low).logical_and(values.lt(high));
        var matches = best.masked_fill(belowLow, Below).masked_fill(between, Between);
        if (AllowLowQualityMatches)
        {
            // Every prediction that reaches some ground truth's highest quality gets its original match back.
            var highestPerGroundTruth = matchQuality.max(1).values;
            var isBest = matchQuality.eq(highestPerGroundTruth[.., TensorIndex.None]).any(0);
            matches = best.where(isBest, matches);
        }
        return matches.MoveToOuterDisposeScope();
    }
}
