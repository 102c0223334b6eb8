using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// The eval path of torchvision's <c>GeneralizedRCNNTransform</c>: normalise each image with the mean and standard
/// deviation, check its size against <c>MinSize</c>/<c>MaxSize</c>, and pad the batch with zeros to multiples of 32.
/// </summary>
/// <remarks>
/// Resizing is refused for now: images must already have the size torchvision would give them (scale factor exactly
/// 1: the shorter side equal to <c>MinSize</c>, or the longer equal to <c>MaxSize</c> with the shorter at most
/// <c>MinSize</c>), in which case torchvision's bilinear resize is the identity and boxes need no mapping back.
/// </remarks>
internal sealed class DetectionTransform
{
    private const int SizeDivisible = 32;
    private readonly DetectionOptions options;

    public DetectionTransform(DetectionOptions options)
    {
        this.options = options;
        if (options.ImageMean.Count != 3 || options.ImageStd.Count != 3)
            throw new ArgumentException($"ImageMean and ImageStd must hold 3 values (one per colour channel), got {options.ImageMean.Count} and {options.ImageStd.Count}.", nameof(options));
    }

    /// <summary>Normalises and batches the images.</summary>
    public (Tensor Batch, (long Height, long Width)[] Sizes) Batch(IReadOnlyList<Tensor> images)
    {
        var sizes = new (long, long)[images.Count];
        for (int i = 0; i < images.Count; i++)
        {
            long h = images[i].size(1), w = images[i].size(2);
            double scale = Math.Min((double)options.MinSize / Math.Min(h, w), (double)options.MaxSize / Math.Max(h, w));
            if (scale != 1.0)
                throw new NotSupportedException(
                    $"Image {i} is {h} x {w}; with MinSize {options.MinSize} and MaxSize {options.MaxSize} torchvision would resize it by {scale}, " +
                    "which this version does not do yet. Resize it first so that its shorter side is MinSize (and its longer side at most MaxSize), " +
                    $"or set MinSize = {Math.Min(h, w)} and MaxSize = {Math.Max(h, w)} in DetectionOptions.");
            sizes[i] = (h, w);
        }
        long height = RoundUp(sizes.Max(s => s.Item1));
        long width = RoundUp(sizes.Max(s => s.Item2));
        using var scope = NewDisposeScope();
        var first = images[0];
        var mean = tensor(options.ImageMean.ToArray(), ScalarType.Float64).to(first.dtype, first.device).view(-1, 1, 1);
        var std = tensor(options.ImageStd.ToArray(), ScalarType.Float64).to(first.dtype, first.device).view(-1, 1, 1);
        var batch = zeros(new long[] { images.Count, 3, height, width }, first.dtype, first.device);
        for (int i = 0; i < images.Count; i++)
        {
            var normalised = images[i].sub(mean).div(std);
            batch[i].narrow(1, 0, sizes[i].Item1).narrow(2, 0, sizes[i].Item2).copy_(normalised);
        }
        return (batch.MoveToOuterDisposeScope(), sizes);
    }

    private static long RoundUp(long side) => (side + SizeDivisible - 1) / SizeDivisible * SizeDivisible;
}
