using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// FCOS's assignment of ground-truth boxes to locations (torchvision's <c>FCOS.compute_loss</c>): a location matches a
/// box when it lies inside the box, within <c>radius</c> strides of its centre, and its largest side distance falls in
/// its level's range (4 to 8 anchor sizes; the first level from 0, the last without bound); among several boxes the
/// smallest wins.
/// </summary>
internal static class FcosTargets
{
    private static readonly Scalar Two = 2.0;
    private static readonly Scalar Four = 4.0;
    private static readonly Scalar Eight = 8.0;
    private static readonly Scalar Infinity = double.PositiveInfinity;
    private static readonly Scalar AreaCeiling = 1e8;
    private static readonly Scalar Unmatched = 1e-5;
    /// <summary>-1 as an integer: the index of an unmatched location, the class of a background one.</summary>
    public static readonly Scalar MinusOneLong = -1L;

    /// <summary>Per location, the index of its box, or -1.</summary>
    /// <param name="anchors">[L, 4] anchors of all levels.</param>
    /// <param name="boxes">[K, 4] ground-truth boxes, K at least 1.</param>
    /// <param name="anchorsPerLevel">Locations per level.</param>
    /// <param name="radius">Centre-sampling radius in anchor sizes.</param>
    public static Tensor Match(Tensor anchors, Tensor boxes, IReadOnlyList<long> anchorsPerLevel, double radius)
    {
        using var scope = NewDisposeScope();
        var gtCenters = boxes[.., ..2].add(boxes[.., 2..], DetectionScalars.One).div(Two);
        var anchorCenters = anchors[.., ..2].add(anchors[.., 2..], DetectionScalars.One).div(Two);
        var anchorSizes = anchors[.., 2].sub(anchors[.., 0]);
        using var heldRadius = radius.ToScalar();
        var match = anchorCenters[.., TensorIndex.None, ..].sub(gtCenters[TensorIndex.None, .., ..]).abs_().amax(new long[] { 2 })
            .lt(anchorSizes.mul(heldRadius)[.., TensorIndex.None]);

        var x = anchorCenters[.., 0..1];
        var y = anchorCenters[.., 1..2];
        var x0 = boxes[TensorIndex.None, .., 0];
        var y0 = boxes[TensorIndex.None, .., 1];
        var x1 = boxes[TensorIndex.None, .., 2];
        var y1 = boxes[TensorIndex.None, .., 3];
        var distances = stack(new[] { x.sub(x0), y.sub(y0), x1.sub(x), y1.sub(y) }, 2);
        match = match.logical_and(distances.amin(new long[] { 2 }).gt(DetectionScalars.Zero));

        var lower = anchorSizes.mul(Four);
        lower.narrow(0, 0, anchorsPerLevel[0]).fill_(DetectionScalars.Zero);
        var upper = anchorSizes.mul(Eight);
        long last = anchorsPerLevel[^1];
        upper.narrow(0, upper.size(0) - last, last).fill_(Infinity);
        var largest = distances.amax(new long[] { 2 });
        match = match.logical_and(largest.gt(lower[.., TensorIndex.None])).logical_and(largest.lt(upper[.., TensorIndex.None]));

        var areas = boxes[.., 2].sub(boxes[.., 0]).mul(boxes[.., 3].sub(boxes[.., 1]));
        var preference = match.to(ScalarType.Float32).mul(areas.neg().add(AreaCeiling, DetectionScalars.One)[TensorIndex.None, ..]);
        var (best, matched) = preference.max(1);
        matched.masked_fill_(best.lt(Unmatched), MinusOneLong);
        return matched.MoveToOuterDisposeScope();
    }
}
