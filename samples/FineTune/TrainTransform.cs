using System;
using System.Collections.Generic;
using ResNeStBlocks.Preprocessing;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.FineTune;

/// <summary>
/// timm's training transform for fine-tuning: <see cref="RandomResizedCrop"/> to the input size (antialiased resize
/// with the model's interpolation), a horizontal flip with probability 1/2, optional colour jitter (brightness,
/// contrast, saturation, in that order, as torchvision's formulas), then scaling to [0, 1] and normalising.
/// </summary>
/// <param name="Size">Output side in pixels.</param>
/// <param name="Interpolation">Resize filter (the model's pretrained one).</param>
/// <param name="Mean">Per-channel RGB mean.</param>
/// <param name="Std">Per-channel RGB standard deviation.</param>
/// <param name="ColorJitter">Jitter strength x: each factor is uniform in [max(0, 1 - x), 1 + x]; 0 for none.</param>
/// <param name="Crop">The crop's area and aspect ranges (timm's defaults when null).</param>
public sealed record TrainTransform(int Size, Interpolation Interpolation, IReadOnlyList<float> Mean, IReadOnlyList<float> Std, double ColorJitter = 0,
    RandomResizedCrop? Crop = null)
{
    /// <summary>Augments one image.</summary>
    /// <param name="image">RGB uint8 <c>[height, width, 3]</c>.</param>
    /// <param name="random">The image's own source of randomness (so the result does not depend on thread timing).</param>
    /// <returns>Float32 <c>[3, Size, Size]</c>; the caller owns it.</returns>
    public Tensor Apply(Tensor image, Random random)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(random);
        using var scope = NewDisposeScope();
        var window = (Crop ?? Default).Sample((int)image.shape[0], (int)image.shape[1], random);
        var crop = image.narrow(0, window.Top, window.Height).narrow(1, window.Left, window.Width)
            .permute(2, 0, 1).unsqueeze(0).to(ScalarType.Float32);
        var resized = nn.functional.interpolate(crop, new long[] { Size, Size },
            mode: Interpolation == Interpolation.Bicubic ? InterpolationMode.Bicubic : InterpolationMode.Bilinear,
            align_corners: false, antialias: true)[0].div_(Constants.Max).clamp_(Constants.Zero, Constants.One);
        if (random.NextDouble() < 0.5)
            resized = resized.flip(2);
        if (ColorJitter > 0)
            resized = Jitter(resized, random);
        var mean = tensor(new[] { Mean[0], Mean[1], Mean[2] }).view(3, 1, 1);
        var std = tensor(new[] { Std[0], Std[1], Std[2] }).view(3, 1, 1);
        return resized.sub(mean).div_(std).MoveToOuterDisposeScope();
    }

    private static readonly RandomResizedCrop Default = new();

    private Tensor Jitter(Tensor image, Random random)
    {
        double Factor() => Math.Max(0, 1 - ColorJitter) + random.NextDouble() * (1 + ColorJitter - Math.Max(0, 1 - ColorJitter));
        double brightnessFactor = Factor(), contrastFactor = Factor(), saturationFactor = Factor();
        using Scalar brightness = brightnessFactor, contrast = contrastFactor, saturation = saturationFactor;
        using Scalar contrastRest = 1 - contrastFactor, saturationRest = 1 - saturationFactor;
        image = image.mul(brightness).clamp_(Constants.Zero, Constants.One);
        var meanGrey = Grey(image).mean();
        image = image.mul(contrast).add_(meanGrey.mul(contrastRest), Constants.One).clamp_(Constants.Zero, Constants.One);
        return image.mul(saturation).add_(Grey(image).mul(saturationRest), Constants.One).clamp_(Constants.Zero, Constants.One);
    }

    /// <summary>ITU-R 601 luma, as torchvision's <c>rgb_to_grayscale</c>: [1, H, W].</summary>
    private static Tensor Grey(Tensor image) =>
        image[0].mul(Constants.Red).add_(image[1].mul(Constants.Green), Constants.One).add_(image[2].mul(Constants.Blue), Constants.One).unsqueeze(0);

    /// <summary>
    /// Scalars held for the life of the process. TorchSharp 0.107's <see cref="Scalar"/> frees its native value in a
    /// finalizer without keeping itself alive during the native call that reads it, so an implicit temporary can be
    /// collected mid-call ("Unknown scalar type") when the decoding threads make the GC run often.
    /// </summary>
    private static class Constants
    {
        public static readonly Scalar Zero = 0.0, One = 1.0, Max = 255.0, Red = 0.299, Green = 0.587, Blue = 0.114;
    }
}
