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
        if (!(Brightness >= 0) || !(Contrast >= 0) || !(Saturation >= 0))
            throw new ArgumentOutOfRangeException(nameof(Brightness),
                $"Expected strengths of 0 or more, got Brightness={Brightness}, Contrast={Contrast}, Saturation={Saturation}.");
        PairedSample.Check(sample, nameof(sample));
        using var scope = NewDisposeScope();
        var image = sample.Image;
        if (Brightness > 0)
            image = Blend(image, null, Draw(Brightness, random));
        if (Contrast > 0)
            image = Blend(image, Gray(image).mean(new long[] { -3, -2, -1 }, keepdim: true), Draw(Contrast, random));
        if (Saturation > 0)
            image = Blend(image, Gray(image), Draw(Saturation, random));
        image = (ReferenceEquals(image, sample.Image) ? image.alias() : image).MoveToOuterDisposeScope();
        var target = sample.Target;
        return new PairedSample(image, PairedSample.Out(target.Boxes.alias(), target.Labels.alias(), target.Masks?.alias()));
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
