using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// The eval path of torchvision's <c>GeneralizedRCNNTransform</c> for images that need no resize: normalise each image
/// with the mean and standard deviation, then batch them zero-padded to multiples of 32
/// (<see cref="DetectionTransform.BatchImages"/>).
/// </summary>
/// <remarks>
/// An image whose <see cref="DetectionTransform.ResizedSize"/> is its own size is left as it is by torchvision (its
/// bilinear resize recomputes the scale from the sizes, so it is the identity), and its boxes need no mapping back.
/// Other sizes are refused until the image resize is part of the transform.
/// </remarks>
internal sealed class EvalImageBatch
{
    private readonly DetectionOptions options;

    public EvalImageBatch(DetectionOptions options)
    {
        this.options = options;
        if (options.ImageMean.Count != 3 || options.ImageStd.Count != 3)
            throw new ArgumentException($"ImageMean and ImageStd must hold 3 values (one per colour channel), got {options.ImageMean.Count} and {options.ImageStd.Count}.", nameof(options));
    }

    /// <summary>Normalises and batches the images.</summary>
    public (Tensor Batch, (long Height, long Width)[] Sizes) Batch(IReadOnlyList<Tensor> images)
    {
        var sizes = new (long Height, long Width)[images.Count];
        for (int i = 0; i < images.Count; i++)
        {
            long h = images[i].size(1), w = images[i].size(2);
            var resized = DetectionTransform.ResizedSize(h, w, options.MinSize, options.MaxSize);
            if (resized != (h, w))
                throw new NotSupportedException(
                    $"Image {i} is {h} x {w}; with MinSize {options.MinSize} and MaxSize {options.MaxSize} torchvision would resize it to {resized.Height} x {resized.Width}, " +
                    "which this version does not do yet. Resize it first so that its shorter side is MinSize (and its longer side at most MaxSize), " +
                    $"or set MinSize = {Math.Min(h, w)} and MaxSize = {Math.Max(h, w)} in DetectionOptions.");
            sizes[i] = (h, w);
        }
        using var scope = NewDisposeScope();
        var first = images[0];
        var mean = tensor(options.ImageMean.ToArray(), ScalarType.Float64).to(first.dtype, first.device).view(-1, 1, 1);
        var std = tensor(options.ImageStd.ToArray(), ScalarType.Float64).to(first.dtype, first.device).view(-1, 1, 1);
        var normalised = images.Select(image => image.sub(mean).div(std)).ToArray();
        return (DetectionTransform.BatchImages(normalised).MoveToOuterDisposeScope(), sizes);
    }
}
