using System;
using static TorchSharp.torch;

namespace ResNeStBlocks.Vision;

/// <summary>
/// Scale jitter: resizes the image by a factor drawn uniformly from [<see cref="MinScale"/>, <see cref="MaxScale"/>]
/// (equal bounds give a fixed resize). The new size is the old one times the factor, rounded; the image is resized
/// bilinearly without antialiasing (as torchvision's <c>GeneralizedRCNNTransform</c>), boxes are multiplied by the
/// per-axis ratios of the new size to the old (torchvision's <c>resize_boxes</c>) and masks are resized by
/// "nearest-exact" (the source pixel whose centre is nearest), which keeps a mask's pixels exactly inside its scaled box
/// for integer factors; so is a class mask.
/// </summary>
/// <param name="MinScale">Smallest factor, above 0.</param>
/// <param name="MaxScale">Largest factor, at least <paramref name="MinScale"/>.</param>
public sealed record RandomScale(double MinScale, double MaxScale) : IPairedTransform
{
    /// <inheritdoc />
    public PairedSample Apply(PairedSample sample, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (!(MinScale > 0) || !(MaxScale >= MinScale) || double.IsInfinity(MaxScale))
            throw new ArgumentOutOfRangeException(nameof(MinScale), $"Expected 0 < MinScale <= MaxScale, got MinScale={MinScale}, MaxScale={MaxScale}.");
        PairedSample.Check(sample, nameof(sample));
        double scale = MinScale + (MaxScale - MinScale) * random.NextDouble();
        int height = Math.Max(1, (int)Math.Round(sample.Height * scale)), width = Math.Max(1, (int)Math.Round(sample.Width * scale));
        return Resize(sample, height, width);
    }

    /// <summary>Resizes one sample to <paramref name="height"/> x <paramref name="width"/>.</summary>
    /// <param name="sample">Image <c>[3, H, W]</c> and its target.</param>
    /// <param name="height">New rows, at least 1.</param>
    /// <param name="width">New columns, at least 1.</param>
    /// <returns>The resized sample (new tensors).</returns>
    public static PairedSample Resize(PairedSample sample, int height, int width) => Resize(sample, height, width, antialias: false);

    /// <summary>Resizes one sample; <paramref name="antialias"/> low-pass filters the image when it shrinks (PIL's resize).</summary>
    internal static PairedSample Resize(PairedSample sample, int height, int width, bool antialias)
    {
        PairedSample.Check(sample, nameof(sample));
        if (height < 1 || width < 1)
            throw new ArgumentOutOfRangeException(nameof(height), $"Expected a size of at least 1 x 1, got {height} x {width}.");
        using var scope = NewDisposeScope();
        var boxes = sample.Target.Boxes;
        double rx = (double)width / sample.Width, ry = (double)height / sample.Height;
        var ratios = tensor(new[] { rx, ry, rx, ry }).to(boxes.dtype, boxes.device);
        var image = height == sample.Height && width == sample.Width
            ? sample.Image.alias()
            : nn.functional.interpolate(sample.Image.unsqueeze(0), new long[] { height, width }, mode: InterpolationMode.Bilinear, align_corners: false,
                antialias: antialias)[0];
        var masks = sample.Target.Masks;
        if (masks is not null)
            masks = masks.index_select(1, NearestSources(sample.Height, height, masks.device)).index_select(2, NearestSources(sample.Width, width, masks.device));
        var classMask = sample.ClassMask;
        if (classMask is not null)
        {
            classMask = height == sample.Height && width == sample.Width
                ? classMask.alias()
                : classMask.index_select(0, NearestSources(sample.Height, height, classMask.device)).index_select(1, NearestSources(sample.Width, width, classMask.device));
        }
        return PairedSample.Out(image, boxes.mul(ratios), sample.Target.Labels.alias(), masks, classMask);
    }

    /// <summary>For each output pixel, the source pixel whose centre is nearest: <c>floor((i + 0.5) * from / to)</c> (PyTorch's "nearest-exact").</summary>
    private static Tensor NearestSources(long from, long to, Device device)
    {
        var sources = new long[to];
        for (long i = 0; i < to; i++)
            sources[i] = Math.Min(from - 1, (long)Math.Floor((i + 0.5) * from / to));
        return tensor(sources, device: device);
    }
}
