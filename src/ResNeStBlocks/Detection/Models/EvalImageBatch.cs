using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// The eval path of torchvision's <c>GeneralizedRCNNTransform</c>: normalise each image with the mean and standard
/// deviation, resize it to torchvision's size (<see cref="DetectionTransform.ResizeImage"/>, the identity for an image
/// already of that size, as in torchvision), then batch the images zero-padded to multiples of 32
/// (<see cref="DetectionTransform.BatchImages"/>).
/// </summary>
internal sealed class EvalImageBatch
{
    private readonly DetectionOptions options;

    public EvalImageBatch(DetectionOptions options)
    {
        this.options = options;
        if (options.ImageMean.Count != 3 || options.ImageStd.Count != 3)
            throw new ArgumentException($"ImageMean and ImageStd must hold 3 values (one per colour channel), got {options.ImageMean.Count} and {options.ImageStd.Count}.", nameof(options));
    }

    /// <summary>Normalises, resizes and batches the images; returns each image's size inside the batch and its original size.</summary>
    public (Tensor Batch, (long Height, long Width)[] Sizes, (long Height, long Width)[] OriginalSizes) Batch(IReadOnlyList<Tensor> images)
    {
        using var scope = NewDisposeScope();
        var first = images[0];
        var mean = tensor(options.ImageMean.ToArray(), ScalarType.Float64).to(first.dtype, first.device).view(-1, 1, 1);
        var std = tensor(options.ImageStd.ToArray(), ScalarType.Float64).to(first.dtype, first.device).view(-1, 1, 1);
        var originals = images.Select(image => (image.size(1), image.size(2))).ToArray();
        var prepared = images.Select(image => DetectionTransform.ResizeImage(image.sub(mean).div(std), options.MinSize, options.MaxSize)).ToArray();
        var sizes = prepared.Select(image => (image.size(1), image.size(2))).ToArray();
        return (DetectionTransform.BatchImages(prepared).MoveToOuterDisposeScope(), sizes, originals);
    }
}
