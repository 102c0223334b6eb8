using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection;

/// <summary>
/// The FPN paper's rule for which pyramid level pools a box (equation 1; torchvision's <c>LevelMapper</c>):
/// <c>floor(canonicalLevel + log2(sqrt(area) / canonicalScale) + eps)</c>, clamped to [kMin, kMax], minus kMin.
/// </summary>
public sealed class LevelMapper
{
    /// <summary>Creates the mapper.</summary>
    /// <param name="kMin">The finest level (log2 of its stride).</param>
    /// <param name="kMax">The coarsest level.</param>
    /// <param name="canonicalScale">The box side that maps to <paramref name="canonicalLevel"/> (224, ImageNet's size).</param>
    /// <param name="canonicalLevel">The level of a canonical box (4).</param>
    /// <param name="eps">Added before the floor, so sides that are exact powers of two land on their level (1e-6).</param>
    public LevelMapper(int kMin, int kMax, int canonicalScale = 224, int canonicalLevel = 4, double eps = 1e-6)
    {
        if (kMax < kMin)
            throw new ArgumentOutOfRangeException(nameof(kMax), kMax, $"kMax must be at least kMin ({kMin}).");
        Guard.Positive(canonicalScale, nameof(canonicalScale));
        KMin = kMin;
        KMax = kMax;
        CanonicalScale = canonicalScale;
        CanonicalLevel = canonicalLevel;
        Eps = eps;
    }

    /// <summary>The finest level.</summary>
    public int KMin { get; }

    /// <summary>The coarsest level.</summary>
    public int KMax { get; }

    /// <summary>The canonical box side.</summary>
    public int CanonicalScale { get; }

    /// <summary>The canonical level.</summary>
    public int CanonicalLevel { get; }

    /// <summary>The epsilon added before the floor.</summary>
    public double Eps { get; }

    /// <summary>The level index (0 for kMin) of every box of every image, images in order.</summary>
    /// <param name="boxes">One [N_i, 4] tensor of boxes (x1, y1, x2, y2) per image.</param>
    /// <returns>[sum N_i] int64 level indices.</returns>
    public Tensor Map(IReadOnlyList<Tensor> boxes)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        for (int i = 0; i < boxes.Count; i++)
            BoxChecks.Boxes(boxes[i], $"{nameof(boxes)}[{i}]", floating: true);
        using var scope = NewDisposeScope();
        var side = cat(boxes.Select(b => BoxOps.BoxArea(b)).ToList(), 0).sqrt();
        using var scale = ((double)CanonicalScale).ToScalar();
        using var level = ((double)CanonicalLevel).ToScalar();
        using var eps = Eps.ToScalar();
        using var low = ((double)KMin).ToScalar();
        using var high = ((double)KMax).ToScalar();
        using var lowLong = ((long)KMin).ToScalar();
        // torchvision adds the level, then eps (as a tensor of the boxes' dtype), then floors.
        var target = side.div(scale).log2().add(level, DetectionScalars.One).add(eps, DetectionScalars.One).floor().clamp(low, high);
        return target.to(ScalarType.Int64).sub(lowLong).MoveToOuterDisposeScope();
    }
}
