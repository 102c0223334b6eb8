using System;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Vision;

/// <summary>
/// torchvision's segmentation reference <c>pad_if_smaller</c>: pads the right and bottom up to <see cref="Height"/> x
/// <see cref="Width"/> where the image is smaller, the image with <see cref="Fill"/>, the class mask with
/// <see cref="MaskFill"/> (the ignore index, so padding counts for nothing) and instance masks with 0. Boxes keep their
/// coordinates. No randomness; put it before <see cref="RandomCrop"/> so the crop always has the full size.
/// </summary>
/// <param name="Height">Rows to reach, at least 1.</param>
/// <param name="Width">Columns to reach, at least 1.</param>
/// <param name="Fill">Value of padded image pixels (the reference's 0).</param>
/// <param name="MaskFill">Value of padded class-mask pixels (the reference's 255).</param>
public sealed record PadIfSmaller(int Height, int Width, double Fill = 0, long MaskFill = 255) : IPairedTransform
{
    /// <inheritdoc />
    public PairedSample Apply(PairedSample sample, Random random) => Pad(sample);

    /// <summary>Pads one sample.</summary>
    /// <param name="sample">Image <c>[3, H, W]</c> and its target.</param>
    /// <returns>The padded sample (new tensors; the same values where nothing is missing).</returns>
    public PairedSample Pad(PairedSample sample)
    {
        if (Height < 1 || Width < 1)
            throw new ArgumentOutOfRangeException(nameof(Height), $"Expected a size of at least 1 x 1, got {Height} x {Width}.");
        PairedSample.Check(sample, nameof(sample));
        int bottom = Math.Max(0, Height - sample.Height), right = Math.Max(0, Width - sample.Width);
        if (bottom == 0 && right == 0)
            return PairedSample.Alias(sample);
        using var scope = NewDisposeScope();
        var padding = new long[] { 0, right, 0, bottom };
        var target = sample.Target;
        var image = nn.functional.pad(sample.Image, padding, value: Fill);
        var masks = target.Masks is null ? null : nn.functional.pad(target.Masks, padding, value: 0);
        var classMask = sample.ClassMask is null ? null : nn.functional.pad(sample.ClassMask, padding, value: MaskFill);
        return PairedSample.Out(image, target.Boxes.alias(), target.Labels.alias(), masks, classMask);
    }
}
