using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// What every detector of <see cref="DetectionModels"/> does, as torchvision's detectors do it: <see cref="Detect"/> is
/// the eval-mode forward (normalise, resize, batch, detect, map back to each image's pixels) and <see cref="Losses"/> the
/// train-mode forward (the same transform with the targets, then the family's named losses).
/// </summary>
/// <remarks>Families: <see cref="FasterRcnn"/>, <see cref="RetinaNet"/>, <see cref="Fcos"/>. The model's dtype decides the arithmetic (float32 or float64), its device
/// where it runs; images and targets must already be there.</remarks>
public abstract class Detector : nn.Module
{
    private readonly DetectionImageBatch transform;

    private protected Detector(string name, DetectionOptions options) : base(name)
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        Options = options ?? throw new ArgumentNullException(nameof(options));
        transform = new DetectionImageBatch(options);
    }

    /// <summary>The settings the model was built with.</summary>
    public DetectionOptions Options { get; }

    /// <summary>Classes, background included.</summary>
    public abstract int NumClasses { get; }

    /// <summary>
    /// Detects objects as torchvision's model does in eval mode, whatever the module's mode (it is switched to eval for
    /// the call and restored), without gradients.
    /// </summary>
    /// <param name="images">Images [3, H, W] of any sizes with values in [0, 1], in the model's dtype and on its device.</param>
    /// <returns>One result per image, boxes (and masks) in that image's pixels, best first.</returns>
    /// <exception cref="ArgumentException">No image, or an image's shape, dtype or device does not fit the model.</exception>
    public IReadOnlyList<Detections> Detect(IReadOnlyList<Tensor> images)
    {
        CheckImages(images);
        bool wasTraining = training;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        if (wasTraining)
            eval();
        try
        {
            var (batch, sizes, originals) = transform.Batch(images);
            var found = DetectBatch(batch, sizes);
            var results = new Detections[found.Count];
            for (int i = 0; i < found.Count; i++)
                results[i] = Postprocess(found[i], sizes[i], originals[i]).MoveToOuterDisposeScope();
            return results;
        }
        finally
        {
            if (wasTraining)
                train();
        }
    }

    /// <summary>
    /// torchvision's train-mode forward: the images and their targets through the training transform, then the family's
    /// losses under torchvision's names (Faster and Mask R-CNN: <c>loss_classifier</c>, <c>loss_box_reg</c>,
    /// <c>loss_objectness</c>, <c>loss_rpn_box_reg</c>, <c>loss_mask</c>; RetinaNet: <c>classification</c>,
    /// <c>bbox_regression</c>; FCOS: those and <c>bbox_ctrness</c>). The module is in training mode for the call (so
    /// BatchNorm layers, where the model has them, use and update batch statistics) and its mode is restored after.
    /// </summary>
    /// <param name="images">Images [3, H, W] of any sizes with values in [0, 1], in the model's dtype and on its device.</param>
    /// <param name="targets">One target per image, boxes in that image's pixels.</param>
    /// <returns>Scalar losses by name, with gradients to the trainable parameters; sum them and call <c>backward</c>.</returns>
    /// <exception cref="ArgumentException">An image or target does not fit (the message names which and how).</exception>
    public IReadOnlyDictionary<string, Tensor> Losses(IReadOnlyList<Tensor> images, IReadOnlyList<DetectionTarget> targets)
    {
        CheckImages(images);
        CheckTargets(images, targets);
        bool wasTraining = training;
        using var scope = NewDisposeScope();
        if (!wasTraining)
            train();
        try
        {
            var (batch, sizes, originals) = transform.Batch(images);
            var resized = transform.ResizeTargets(targets, originals, sizes);
            var losses = ComputeLosses(batch, sizes, resized);
            foreach (var loss in losses.Values)
                loss.MoveToOuterDisposeScope();
            return losses;
        }
        finally
        {
            if (!wasTraining)
                eval();
        }
    }

    /// <summary>The family's eval-mode detections per image, in the batch's pixels (each image's resized size).</summary>
    private protected abstract IReadOnlyList<Detections> DetectBatch(Tensor batch, IReadOnlyList<(long Height, long Width)> sizes);

    /// <summary>The family's named losses on a batch whose targets are already resized with their images.</summary>
    private protected abstract IReadOnlyDictionary<string, Tensor> ComputeLosses(Tensor batch,
        IReadOnlyList<(long Height, long Width)> sizes, IReadOnlyList<DetectionTarget> targets);

    /// <summary>
    /// Maps one image's detections from its resized size back to its own pixels (torchvision's <c>postprocess</c>):
    /// boxes scaled; a family with masks overrides this to paste them too.
    /// </summary>
    private protected virtual Detections Postprocess(Detections found, (long Height, long Width) resized, (long Height, long Width) original) =>
        new(DetectionTransform.ResizeBoxes(found.Boxes, resized, original), found.Scores.alias(), found.Labels.alias());

    private void CheckImages(IReadOnlyList<Tensor> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0)
            throw new ArgumentException("images must hold at least one [3, H, W] image.", nameof(images));
        var weight = parameters().First();
        for (int i = 0; i < images.Count; i++)
        {
            var image = images[i] ?? throw new ArgumentNullException(nameof(images), $"Image {i} is null.");
            if (image.dim() != 3 || image.size(0) != 3)
                throw new ArgumentException($"Image {i} must have shape [3, H, W], got [{string.Join(", ", image.shape)}].", nameof(images));
            if (image.dtype != weight.dtype || image.device_type != weight.device_type || image.device_index != weight.device_index)
                throw new ArgumentException(
                    $"Image {i} is {image.dtype} on {image.device}, the model {weight.dtype} on {weight.device}; convert it with image.to(...) first.", nameof(images));
        }
    }

    /// <summary>Whether the family trains on masks (Mask R-CNN): every target must then carry them.</summary>
    private protected virtual bool NeedsMasks => false;

    private void CheckTargets(IReadOnlyList<Tensor> images, IReadOnlyList<DetectionTarget> targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.Count != images.Count)
            throw new ArgumentException($"targets must hold one target per image: {images.Count} images, {targets.Count} targets.", nameof(targets));
        for (int i = 0; i < targets.Count; i++)
        {
            var target = targets[i] ?? throw new ArgumentNullException(nameof(targets), $"Target {i} is null.");
            var image = images[i];
            var boxes = target.Boxes;
            if (boxes.dim() != 2 || boxes.size(1) != 4 || !boxes.is_floating_point())
                throw new ArgumentException($"Target {i}'s boxes must be a floating-point [K, 4] tensor, got {boxes.dtype} [{string.Join(", ", boxes.shape)}].", nameof(targets));
            if (boxes.dtype != image.dtype || boxes.device_type != image.device_type || boxes.device_index != image.device_index)
                throw new ArgumentException($"Target {i}'s boxes are {boxes.dtype} on {boxes.device}, its image {image.dtype} on {image.device}; convert them with boxes.to(...) first.", nameof(targets));
            if (target.Labels.dtype != ScalarType.Int64 || target.Labels.dim() != 1 || target.Labels.size(0) != boxes.size(0))
                throw new ArgumentException($"Target {i}'s labels must be an int64 [{boxes.size(0)}] tensor (one per box), got {target.Labels.dtype} [{string.Join(", ", target.Labels.shape)}].", nameof(targets));
            if (target.Labels.numel() > 0)
            {
                // torchvision fails with an index error on a label of NumClasses or more, and wraps a negative one to another class.
                using var labelScope = NewDisposeScope();
                long min = target.Labels.min().item<long>(), max = target.Labels.max().item<long>();
                if (min < 0 || max >= NumClasses)
                    throw new ArgumentException(
                        $"Target {i}'s labels must be class indices from 0 to {NumClasses - 1} (the model has {NumClasses} classes), got {(min < 0 ? min : max)}; " +
                        "create the model with numClasses above the largest label.", nameof(targets));
            }
            if (NeedsMasks && target.Masks is null)
                throw new ArgumentException(RoiHeads.MissingMasks(i), nameof(targets));
            if (target.Masks is { } masks && (masks.dim() != 3 || masks.size(0) != boxes.size(0) || masks.size(1) != image.size(1) || masks.size(2) != image.size(2)))
                throw new ArgumentException(
                    $"Target {i}'s masks must be [{boxes.size(0)}, {image.size(1)}, {image.size(2)}] (one per box, the image's size), got [{string.Join(", ", masks.shape)}].", nameof(targets));
            if (boxes.size(0) > 0)
            {
                using var scope = NewDisposeScope();
                // torchvision refuses a degenerate box before training on it; the check reads one flag back.
                var degenerate = boxes[.., 2..].le(boxes[.., ..2]).any(1);
                if (degenerate.any().item<bool>())
                {
                    long first = degenerate.nonzero()[0, 0].item<long>();
                    var box = boxes[first].to(ScalarType.Float64).data<double>().ToArray();
                    throw new ArgumentException(
                        $"All boxes must have positive width and height: target {i}'s box {first} is [{string.Join(", ", box)}] (x1, y1, x2, y2 with x2 > x1 and y2 > y1).", nameof(targets));
                }
            }
        }
    }
}
