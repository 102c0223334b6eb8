using System;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Vision;

/// <summary>
/// Brightness, contrast and saturation jitter of the image alone (boxes, labels and masks pass through), as
/// torchvision's <c>ColorJitter</c> on a float image in [0, 1]: each factor is drawn uniformly from
/// <c>[max(0, 1 - s), 1 + s]</c> for strength <c>s</c> and applied in the fixed order brightness (<c>f * img</c>),
/// contrast (blend with the mean of the grayscale image), saturation (blend with the grayscale image), each clamped to
/// [0, 1]; grayscale is <c>0.2989 R + 0.587 G + 0.114 B</c>. A strength of 0 leaves that property alone (no draw).
/// </summary>
/// <param name="Brightness">Brightness strength, 0 or more.</param>
/// <param name="Contrast">Contrast strength, 0 or more.</param>
/// <param name="Saturation">Saturation strength, 0 or more.</param>
public sealed record PhotometricJitter(double Brightness = 0.2, double Contrast = 0.2, double Saturation = 0.2) : IPairedTransform
{
    /// <inheritdoc />
    public PairedSample Apply(PairedSample sample, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        CheckStrengths();
        PairedSample.Check(sample, nameof(sample));
        using var scope = NewDisposeScope();
        var image = Jitter(sample.Image, random).MoveToOuterDisposeScope();
        var target = sample.Target;
        return new PairedSample(image, PairedSample.Out(target.Boxes.alias(), target.Labels.alias(), target.Masks?.alias()))
        {
            ClassMask = sample.ClassMask?.alias(),
        };
    }

    /// <summary>Jitters an image alone (classification augmentation), with the same draws in the same order as <see cref="Apply"/>.</summary>
    /// <param name="image">Float <c>[3, H, W]</c> in [0, 1].</param>
    /// <param name="random">The image's own source of randomness.</param>
    /// <returns>The jittered image, a new tensor handle the caller disposes.</returns>
    /// <exception cref="ArgumentException">The image is not <c>[3, H, W]</c>.</exception>
    public Tensor Jitter(Tensor image, Random random)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(random);
        CheckStrengths();
        if (image.dim() != 3 || image.shape[0] != 3)
            throw new ArgumentException($"Expected the image as [3, H, W], got [{string.Join(", ", image.shape)}]; permute an [H, W, 3] image with permute(2, 0, 1).", nameof(image));
        using var scope = NewDisposeScope();
        var jittered = image;
        if (Brightness > 0)
            jittered = Blend(jittered, null, Draw(Brightness, random));
        if (Contrast > 0)
            jittered = Blend(jittered, Gray(jittered).mean(new long[] { -3, -2, -1 }, keepdim: true), Draw(Contrast, random));
        if (Saturation > 0)
            jittered = Blend(jittered, Gray(jittered), Draw(Saturation, random));
        return (ReferenceEquals(jittered, image) ? image.alias() : jittered).MoveToOuterDisposeScope();
    }

    private void CheckStrengths()
    {
        if (!(Brightness >= 0) || !(Contrast >= 0) || !(Saturation >= 0))
            throw new ArgumentOutOfRangeException(nameof(Brightness),
                $"Expected strengths of 0 or more, got Brightness={Brightness}, Contrast={Contrast}, Saturation={Saturation}.");
    }

    private static double Draw(double strength, Random random)
    {
        double low = Math.Max(0, 1 - strength);
        return low + (1 + strength - low) * random.NextDouble();
    }

    /// <summary><c>(f * a + (1 - f) * b).clamp(0, 1)</c>; <paramref name="b"/> null is black.</summary>
    private static Tensor Blend(Tensor a, Tensor? b, double factor)
    {
        using Scalar f = factor, rest = 1 - factor;
        var mixed = a.mul(f);
        if (b is not null)
            mixed = mixed.add(b.mul(rest), HeldScalars.One);
        return mixed.clamp_(Bounds.Zero, Bounds.One);
    }

    /// <summary>torchvision's <c>rgb_to_grayscale</c> with one output channel, <c>[1, H, W]</c>.</summary>
    private static Tensor Gray(Tensor image)
    {
        var weights = tensor(new[] { 0.2989, 0.587, 0.114 }).to(image.dtype, image.device).view(3, 1, 1);
        return image.mul(weights).sum(0, keepdim: true);
    }

    private static class Bounds
    {
        public static readonly Scalar Zero = 0.0, One = 1.0;
    }
}
