using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection;

/// <summary>
/// torchvision's <c>BalancedPositiveNegativeSampler</c>: per image, up to <c>floor(batchSizePerImage *
/// positiveFraction)</c> positives, and negatives to fill the batch, each drawn uniformly without replacement.
/// </summary>
/// <remarks>
/// With <c>shuffle: false</c> it takes the first positives and negatives in index order instead: what torchvision
/// samples when <c>torch.randperm</c> is replaced by <c>torch.arange</c>, which makes losses comparable with a reference.
/// The counts depend on the data, so each image reads two numbers back from the device, as torchvision does.
/// </remarks>
public sealed class BalancedPositiveNegativeSampler : IPositiveNegativeSampler
{
    private static readonly Scalar Selected = 1;
    private readonly Generator? generator;

    /// <summary>Creates the sampler.</summary>
    /// <param name="batchSizePerImage">Samples per image (256 for the RPN, 512 for the box head).</param>
    /// <param name="positiveFraction">The largest share of positives (0.5 for the RPN, 0.25 for the box head).</param>
    /// <param name="generator">The random generator of the draws (seed it for repeatable runs); null: torch's default.
    /// It must live on the device of the labels when they are on a GPU.</param>
    /// <param name="shuffle">false: take the first positives and negatives instead of random ones.</param>
    public BalancedPositiveNegativeSampler(int batchSizePerImage, double positiveFraction, Generator? generator = null, bool shuffle = true)
    {
        Guard.Positive(batchSizePerImage, nameof(batchSizePerImage));
        if (!(positiveFraction >= 0 && positiveFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(positiveFraction), positiveFraction, "positiveFraction must be in [0, 1].");
        BatchSizePerImage = batchSizePerImage;
        PositiveFraction = positiveFraction;
        this.generator = generator;
        Shuffle = shuffle;
    }

    /// <summary>Samples per image.</summary>
    public int BatchSizePerImage { get; }

    /// <summary>The largest share of positives.</summary>
    public double PositiveFraction { get; }

    /// <summary>Whether the draws are random (false: the first indices).</summary>
    public bool Shuffle { get; }

    /// <inheritdoc />
    public (Tensor[] Positive, Tensor[] Negative) Sample(IReadOnlyList<Tensor> matchedLabels)
    {
        ArgumentNullException.ThrowIfNull(matchedLabels);
        var positive = new Tensor[matchedLabels.Count];
        var negative = new Tensor[matchedLabels.Count];
        for (int i = 0; i < matchedLabels.Count; i++)
        {
            var labels = matchedLabels[i];
            ArgumentNullException.ThrowIfNull(labels, nameof(matchedLabels));
            if (labels.dim() != 1 || labels.dtype.IsFloatingPoint())
                throw new ArgumentException($"matchedLabels[{i}] must be a 1-D integer tensor, got {labels.dtype} {BoxChecks.Shape(labels)}.", nameof(matchedLabels));
            using var scope = NewDisposeScope();
            var positives = labels.ge(DetectionScalars.OneLong).nonzero().flatten();
            var negatives = labels.eq(DetectionScalars.ZeroLong).nonzero().flatten();
            long positiveCount = Math.Min(positives.numel(), (long)(BatchSizePerImage * PositiveFraction));
            long negativeCount = Math.Min(negatives.numel(), BatchSizePerImage - positiveCount);
            positive[i] = Mask(labels, Pick(positives, positiveCount)).MoveToOuterDisposeScope();
            negative[i] = Mask(labels, Pick(negatives, negativeCount)).MoveToOuterDisposeScope();
        }
        return (positive, negative);
    }

    private Tensor Pick(Tensor candidates, long count)
    {
        if (!Shuffle)
            return candidates[TensorIndex.Slice(0, count)];
        var order = randperm(candidates.numel(), ScalarType.Int64, candidates.device, generator: generator);
        return candidates.index_select(0, order[TensorIndex.Slice(0, count)]);
    }

    private static Tensor Mask(Tensor labels, Tensor chosen) =>
        zeros_like(labels, ScalarType.Byte).index_fill_(0, chosen, Selected);
}
