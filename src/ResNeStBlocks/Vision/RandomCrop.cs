using System;
using static TorchSharp.torch;

namespace ResNeStBlocks.Vision;

/// <summary>
/// Crops a random <see cref="Height"/> x <see cref="Width"/> window (the whole side where the image is smaller). Boxes
/// are shifted into the window and clipped to it; boxes left with no width or height are removed together with their
/// labels and masks. A class mask is cropped with the image; pad first with <see cref="PadIfSmaller"/> for a window of
/// the full size (torchvision's segmentation reference).
/// </summary>
/// <param name="Height">Rows of the window, at least 1.</param>
/// <param name="Width">Columns of the window, at least 1.</param>
public sealed record RandomCrop(int Height, int Width) : IPairedTransform
{
    /// <inheritdoc />
    public PairedSample Apply(PairedSample sample, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (Height < 1 || Width < 1)
            throw new ArgumentOutOfRangeException(nameof(Height), $"Expected a crop of at least 1 x 1, got {Height} x {Width}.");
        PairedSample.Check(sample, nameof(sample));
        int height = Math.Min(Height, sample.Height), width = Math.Min(Width, sample.Width);
        int top = random.Next(sample.Height - height + 1), left = random.Next(sample.Width - width + 1);
        return Crop(sample, top, left, height, width);
    }

    /// <summary>Crops one sample to the window at (<paramref name="top"/>, <paramref name="left"/>).</summary>
    /// <param name="sample">Image <c>[3, H, W]</c> and its target.</param>
    /// <param name="top">First row of the window.</param>
    /// <param name="left">First column of the window.</param>
    /// <param name="height">Rows of the window.</param>
    /// <param name="width">Columns of the window.</param>
    /// <returns>The cropped sample (new tensors), without the boxes that fall outside the window.</returns>
    public static PairedSample Crop(PairedSample sample, int top, int left, int height, int width)
    {
        PairedSample.Check(sample, nameof(sample));
        if (top < 0 || left < 0 || height < 1 || width < 1 || top + height > sample.Height || left + width > sample.Width)
            throw new ArgumentOutOfRangeException(nameof(top),
                $"Expected a window inside the {sample.Height} x {sample.Width} image, got rows {top} to {top + height} and columns {left} to {left + width}.");
        using var scope = NewDisposeScope();
        var boxes = sample.Target.Boxes;
        var offset = tensor(new double[] { left, top, left, top }).to(boxes.dtype, boxes.device);
        var low = zeros(4, boxes.dtype, boxes.device);
        var high = tensor(new double[] { width, height, width, height }).to(boxes.dtype, boxes.device);
        var moved = boxes.sub(offset).clamp(low, high);
        var keep = moved[.., 2].gt(moved[.., 0]).logical_and(moved[.., 3].gt(moved[.., 1])).nonzero().view(-1);
        var image = sample.Image.narrow(1, top, height).narrow(2, left, width).contiguous();
        var masks = sample.Target.Masks?.narrow(1, top, height).narrow(2, left, width).index_select(0, keep).contiguous();
        var classMask = sample.ClassMask?.narrow(0, top, height).narrow(1, left, width).contiguous();
        return PairedSample.Out(image, moved.index_select(0, keep), sample.Target.Labels.index_select(0, keep), masks, classMask);
    }
}
