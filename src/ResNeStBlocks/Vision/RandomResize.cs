using System;

namespace ResNeStBlocks.Vision;

/// <summary>
/// torchvision's segmentation reference <c>RandomResize(min_size, max_size)</c>: the shorter side becomes a length drawn
/// uniformly from the integers [<see cref="MinSize"/>, <see cref="MaxSize"/>] and the longer keeps the aspect ratio
/// (truncated, as torchvision's <c>resize</c> with an int size). The image is resized bilinearly with antialiasing when it
/// shrinks (the reference resizes PIL images, whose filter antialiases); boxes are multiplied by the per-axis size ratios;
/// instance masks and the class mask are resized by "nearest-exact", which uses the image's pixel-centre geometry.
/// </summary>
/// <param name="MinSize">Smallest shorter side, at least 1.</param>
/// <param name="MaxSize">Largest shorter side, at least <paramref name="MinSize"/>.</param>
public sealed record RandomResize(int MinSize, int MaxSize) : IPairedTransform
{
    /// <inheritdoc />
    public PairedSample Apply(PairedSample sample, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (MinSize < 1 || MaxSize < MinSize)
            throw new ArgumentOutOfRangeException(nameof(MinSize), $"Expected 1 <= MinSize <= MaxSize, got MinSize={MinSize}, MaxSize={MaxSize}.");
        PairedSample.Check(sample, nameof(sample));
        return Resize(sample, random.Next(MinSize, MaxSize + 1));
    }

    /// <summary>Resizes one sample so its shorter side is <paramref name="shorterSide"/> (the evaluation transform of the reference).</summary>
    /// <param name="sample">Image <c>[3, H, W]</c> and its target.</param>
    /// <param name="shorterSide">The new shorter side, at least 1.</param>
    /// <returns>The resized sample (new tensors).</returns>
    public static PairedSample Resize(PairedSample sample, int shorterSide)
    {
        PairedSample.Check(sample, nameof(sample));
        if (shorterSide < 1)
            throw new ArgumentOutOfRangeException(nameof(shorterSide), shorterSide, $"Expected a shorter side of at least 1, got {shorterSide}.");
        var (height, width) = ShorterSideTo(sample.Height, sample.Width, shorterSide);
        return RandomScale.Resize(sample, height, width, antialias: true);
    }

    /// <summary>The size torchvision's <c>resize(img, size)</c> gives for an int size: the shorter side becomes <paramref name="shorterSide"/>, the longer keeps the ratio (truncated).</summary>
    /// <param name="height">Image rows.</param>
    /// <param name="width">Image columns.</param>
    /// <param name="shorterSide">The new shorter side.</param>
    /// <returns>The new rows and columns.</returns>
    public static (int Height, int Width) ShorterSideTo(int height, int width, int shorterSide) =>
        height <= width
            ? (shorterSide, (int)((long)shorterSide * width / height))
            : ((int)((long)shorterSide * height / width), shorterSide);
}
