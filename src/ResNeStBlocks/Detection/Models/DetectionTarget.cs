using System;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// One training image's ground truth, as torchvision's detectors take it: boxes in the image's pixels, their labels and,
/// for Mask R-CNN, one mask per box. The caller owns the tensors.
/// </summary>
public sealed class DetectionTarget
{
    /// <summary>Pairs one image's ground truth.</summary>
    /// <param name="boxes">[K, 4] boxes (x1, y1, x2, y2) in the image's pixels, each with positive width and height.</param>
    /// <param name="labels">[K] int64 class indices, 1 and up (0 is background).</param>
    /// <param name="masks">[K, H, W] binary masks of the image's size (Mask R-CNN), or null.</param>
    public DetectionTarget(Tensor boxes, Tensor labels, Tensor? masks = null)
    {
        Boxes = boxes ?? throw new ArgumentNullException(nameof(boxes));
        Labels = labels ?? throw new ArgumentNullException(nameof(labels));
        Masks = masks;
    }

    /// <summary>[K, 4] boxes (x1, y1, x2, y2) in the image's pixels.</summary>
    public Tensor Boxes { get; }

    /// <summary>[K] int64 class indices.</summary>
    public Tensor Labels { get; }

    /// <summary>[K, H, W] binary instance masks, or null.</summary>
    public Tensor? Masks { get; }
}
