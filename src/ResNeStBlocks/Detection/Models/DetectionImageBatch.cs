using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// torchvision's <c>GeneralizedRCNNTransform</c>: normalise each image with the mean and standard deviation, resize it to
/// torchvision's size (<see cref="DetectionTransform.ResizeImage"/>, the identity for an image already of that size),
/// resize its targets with it (boxes scaled, masks nearest), then batch the images zero-padded to multiples of 32
/// (<see cref="DetectionTransform.BatchImages"/>).
/// </summary>
internal sealed class DetectionImageBatch
{
    private readonly DetectionOptions options;

    public DetectionImageBatch(DetectionOptions options)
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

    /// <summary>
    /// The targets resized with their images (torchvision's training transform): boxes scaled as
    /// <see cref="DetectionTransform.ResizeBoxes"/>, masks resized nearest to the image's new size (kept as uint8).
    /// </summary>
    public DetectionTarget[] ResizeTargets(IReadOnlyList<DetectionTarget> targets,
        IReadOnlyList<(long Height, long Width)> originals, IReadOnlyList<(long Height, long Width)> sizes)
    {
        var resized = new DetectionTarget[targets.Count];
        for (int i = 0; i < targets.Count; i++)
        {
            var target = targets[i];
            var boxes = DetectionTransform.ResizeBoxes(target.Boxes, originals[i], sizes[i]);
            Tensor? masks = null;
            if (target.Masks is not null)
            {
                using var scope = NewDisposeScope();
                masks = nn.functional.interpolate(target.Masks.unsqueeze(1).to(ScalarType.Float32), new[] { sizes[i].Height, sizes[i].Width })
                    .squeeze(1).to(ScalarType.Byte).MoveToOuterDisposeScope();
            }
            resized[i] = new DetectionTarget(boxes, target.Labels.alias(), masks);
        }
        return resized;
    }
}
