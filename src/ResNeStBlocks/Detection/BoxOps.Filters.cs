using System;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection;

public static partial class BoxOps
{
    /// <summary>
    /// Clamps boxes to an image (torchvision's <c>clip_boxes_to_image</c>): x to [0, width], y to [0, height].
    /// </summary>
    /// <param name="boxes">[..., 4] boxes (x1, y1, x2, y2).</param>
    /// <param name="height">The image's height in pixels.</param>
    /// <param name="width">The image's width in pixels.</param>
    /// <returns>The clamped boxes, shaped as <paramref name="boxes"/>.</returns>
    public static Tensor ClipBoxesToImage(Tensor boxes, long height, long width)
    {
        BoxChecks.Boxes(boxes, nameof(boxes), anyLeading: true);
        if (height < 0)
            throw new ArgumentOutOfRangeException(nameof(height), height, "height must be 0 or more.");
        if (width < 0)
            throw new ArgumentOutOfRangeException(nameof(width), width, "width must be 0 or more.");
        using var scope = NewDisposeScope();
        using var maxX = ((double)width).ToScalar();
        using var maxY = ((double)height).ToScalar();
        var x = boxes[TensorIndex.Ellipsis, TensorIndex.Slice(0, null, 2)].clamp(DetectionScalars.Zero, maxX);
        var y = boxes[TensorIndex.Ellipsis, TensorIndex.Slice(1, null, 2)].clamp(DetectionScalars.Zero, maxY);
        return stack(new[] { x, y }, -1).reshape(boxes.shape).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The indices of the boxes whose width and height are both at least <paramref name="minSize"/> (torchvision's
    /// <c>remove_small_boxes</c>). The count depends on the values, so this reads one number back from the device.
    /// </summary>
    /// <param name="boxes">[N, 4] boxes (x1, y1, x2, y2).</param>
    /// <param name="minSize">The smallest width and height kept.</param>
    /// <returns>int64 indices of the kept boxes, ascending.</returns>
    public static Tensor RemoveSmallBoxes(Tensor boxes, double minSize)
    {
        BoxChecks.Boxes(boxes, nameof(boxes));
        if (double.IsNaN(minSize))
            throw new ArgumentOutOfRangeException(nameof(minSize), minSize, "minSize must be a number.");
        using var scope = NewDisposeScope();
        using var min = minSize.ToScalar();
        var widths = boxes[.., 2].sub(boxes[.., 0]);
        var heights = boxes[.., 3].sub(boxes[.., 1]);
        var keep = widths.ge(min).logical_and(heights.ge(min));
        return keep.nonzero().flatten().MoveToOuterDisposeScope();
    }
}
