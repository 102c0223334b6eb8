using System;
using System.Collections.Generic;
using ResNeStBlocks.Preprocessing;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Vision;

/// <summary>
/// timm's training transform for fine-tuning a classifier: <see cref="RandomResizedCrop"/> to the input size
/// (antialiased resize with the model's interpolation), a horizontal flip with probability 1/2, optional colour jitter
/// (<see cref="PhotometricJitter"/> with one strength for brightness, contrast and saturation), then normalising.
/// </summary>
/// <param name="Size">Output side in pixels, at least 1.</param>
/// <param name="Interpolation">Resize filter (the model's pretrained one).</param>
/// <param name="Mean">Per-channel RGB mean (of images scaled to [0, 1]).</param>
/// <param name="Std">Per-channel RGB standard deviation.</param>
/// <param name="ColorJitter">Jitter strength x: each factor is uniform in [max(0, 1 - x), 1 + x]; 0 for none.</param>
/// <param name="Crop">The crop's area and aspect ranges (timm's defaults when null).</param>
public sealed record ClassificationTrainTransform(int Size, Interpolation Interpolation, IReadOnlyList<float> Mean, IReadOnlyList<float> Std,
    double ColorJitter = 0, RandomResizedCrop? Crop = null)
{
    private static readonly RandomResizedCrop Default = new();

    /// <summary>Augments one image. The draws, in order: the crop window, the flip, then the three jitter factors.</summary>
    /// <param name="image">RGB uint8 <c>[height, width, 3]</c>.</param>
    /// <param name="random">The image's own source of randomness (so the result does not depend on thread timing).</param>
    /// <returns>Float32 <c>[3, Size, Size]</c>; the caller owns it.</returns>
    /// <exception cref="ArgumentException">The image is not <c>[H, W, 3]</c>, or the size, mean or standard deviation is unusable.</exception>
    public Tensor Apply(Tensor image, Random random)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(random);
        if (image.dim() != 3 || image.shape[2] != 3)
            throw new ArgumentException($"Expected an RGB image [H, W, 3], got [{string.Join(", ", image.shape)}].", nameof(image));
        if (Size < 1 || Mean is not { Count: 3 } || Std is not { Count: 3 })
            throw new ArgumentException($"Expected a size of at least 1 and three means and standard deviations, got Size={Size}, {Mean?.Count ?? 0} means, {Std?.Count ?? 0} deviations.", nameof(image));
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
            resized = new PhotometricJitter(ColorJitter, ColorJitter, ColorJitter).Jitter(resized, random);
        var mean = tensor(new[] { Mean[0], Mean[1], Mean[2] }).view(3, 1, 1);
        var std = tensor(new[] { Std[0], Std[1], Std[2] }).view(3, 1, 1);
        return resized.sub(mean).div_(std).MoveToOuterDisposeScope();
    }

    /// <summary>Scalars held for the life of the process (TorchSharp 0.107 may free a temporary one during the native call that reads it).</summary>
    private static class Constants
    {
        public static readonly Scalar Zero = 0.0, One = 1.0, Max = 255.0;
    }
}
