using System;
using System.Collections.Generic;
using ResNeStBlocks.Samples.Data;
using TorchSharp;
using ResNeStBlocks.Vision;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.Segment;

/// <summary>Where one training example's augmentation puts the image: its resized size, the flip and the crop's corner.</summary>
/// <param name="Height">Rows after the random resize.</param>
/// <param name="Width">Columns after the random resize.</param>
/// <param name="Flip">Mirror left to right.</param>
/// <param name="Top">First row of the crop, in the resized (and padded) image.</param>
/// <param name="Left">First column of the crop.</param>
public readonly record struct JointGeometry(int Height, int Width, bool Flip, int Top, int Left);

/// <summary>
/// The augmentation of torchvision's segmentation reference (<c>SegmentationPresetTrain</c>), applied to the image and
/// its mask together: the shorter side resized to a random length in [<see cref="MinScale"/>, <see cref="MaxScale"/>] x
/// <see cref="BaseSize"/> (image bilinear with antialiasing, mask nearest), a horizontal flip with probability 1/2, then a
/// random <see cref="CropSize"/> square crop, the image padded with 0 and the mask with the ignore index where the
/// resized image is smaller; finally the image is scaled to [0, 1] and normalised.
/// </summary>
/// <remarks>
/// The mask is resized by "nearest-exact" (the source pixel whose centre is nearest, as PIL's nearest), which uses
/// the same pixel-centre geometry as the bilinear image resize; plain "nearest" would shift the mask by up to half a
/// source pixel against the image.
/// </remarks>
/// <param name="BaseSize">The shorter side the scale range refers to (torchvision: 520).</param>
/// <param name="CropSize">Side of the square training crop (torchvision: 480).</param>
/// <param name="Mean">Per-channel RGB mean.</param>
/// <param name="Std">Per-channel RGB standard deviation.</param>
/// <param name="MinScale">Smallest shorter side, as a multiple of <see cref="BaseSize"/> (torchvision: 0.5).</param>
/// <param name="MaxScale">Largest shorter side, as a multiple of <see cref="BaseSize"/> (torchvision: 2.0).</param>
public sealed record JointTransform(int BaseSize, int CropSize, IReadOnlyList<float> Mean, IReadOnlyList<float> Std, double MinScale = 0.5, double MaxScale = 2.0)
{
    /// <summary>Draws the geometry for an image of <paramref name="height"/> x <paramref name="width"/>.</summary>
    /// <param name="height">Image rows.</param>
    /// <param name="width">Image columns.</param>
    /// <param name="random">The example's own source of randomness.</param>
    /// <returns>Resized size, flip and crop corner.</returns>
    public JointGeometry Draw(int height, int width, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        int shorter = random.Next((int)(MinScale * BaseSize), (int)(MaxScale * BaseSize) + 1);
        var (h, w) = ShorterSideTo(height, width, shorter);
        bool flip = random.NextDouble() < 0.5;
        int top = random.Next(Math.Max(h, CropSize) - CropSize + 1);
        int left = random.Next(Math.Max(w, CropSize) - CropSize + 1);
        return new JointGeometry(h, w, flip, top, left);
    }

    /// <summary>Augments one example.</summary>
    /// <param name="image">RGB uint8 <c>[H, W, 3]</c>.</param>
    /// <param name="mask">Class indices uint8 <c>[H, W]</c>.</param>
    /// <param name="random">The example's own source of randomness (so the result does not depend on thread timing).</param>
    /// <returns>The normalised float32 image <c>[3, CropSize, CropSize]</c> and the int64 mask <c>[CropSize, CropSize]</c>.</returns>
    public Example Apply(Tensor image, Tensor mask, Random random)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Apply(image, mask, Draw((int)image.shape[0], (int)image.shape[1], random));
    }

    /// <summary>Applies a drawn geometry to one example.</summary>
    /// <param name="image">RGB uint8 <c>[H, W, 3]</c>.</param>
    /// <param name="mask">Class indices uint8 <c>[H, W]</c> of the same size.</param>
    /// <param name="geometry">From <see cref="Draw"/>.</param>
    /// <returns>The normalised float32 image <c>[3, CropSize, CropSize]</c> and the int64 mask <c>[CropSize, CropSize]</c>.</returns>
    public Example Apply(Tensor image, Tensor mask, JointGeometry geometry)
    {
        CheckPair(image, mask);
        using var scope = NewDisposeScope();
        var (pixels, classes) = Resize(image, mask, geometry.Height, geometry.Width);
        if (geometry.Flip)
        {
            pixels = pixels.flip(2);
            classes = classes.flip(1);
        }
        // Pad right and bottom up to the crop (torchvision's pad_if_smaller): black image, ignored mask.
        int padBottom = Math.Max(0, CropSize - geometry.Height), padRight = Math.Max(0, CropSize - geometry.Width);
        if (padBottom > 0 || padRight > 0)
        {
            pixels = nn.functional.pad(pixels, new long[] { 0, padRight, 0, padBottom }, value: 0);
            classes = nn.functional.pad(classes, new long[] { 0, padRight, 0, padBottom }, value: SegmentationFolder.IgnoreIndex);
        }
        pixels = pixels.narrow(1, geometry.Top, CropSize).narrow(2, geometry.Left, CropSize);
        classes = classes.narrow(0, geometry.Top, CropSize).narrow(1, geometry.Left, CropSize);
        return new Example(NormaliseChw(pixels).MoveToOuterDisposeScope(), classes.to(ScalarType.Int64).contiguous().MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The evaluation transform (torchvision's <c>SegmentationPresetEval</c>): shorter side resized to
    /// <see cref="BaseSize"/> (mask nearest), normalised; no crop, so batches of different sizes are padded.
    /// </summary>
    /// <param name="image">RGB uint8 <c>[H, W, 3]</c>.</param>
    /// <param name="mask">Class indices uint8 <c>[H, W]</c> of the same size.</param>
    /// <returns>The normalised float32 image <c>[3, h, w]</c> and the int64 mask <c>[h, w]</c>.</returns>
    public Example Evaluate(Tensor image, Tensor mask)
    {
        CheckPair(image, mask);
        using var scope = NewDisposeScope();
        var (h, w) = ShorterSideTo((int)image.shape[0], (int)image.shape[1], BaseSize);
        var (pixels, classes) = Resize(image, mask, h, w);
        return new Example(NormaliseChw(pixels).MoveToOuterDisposeScope(), classes.to(ScalarType.Int64).contiguous().MoveToOuterDisposeScope());
    }

    /// <summary>The evaluation transform of an image alone (for prediction): shorter side resized to <see cref="BaseSize"/>, normalised.</summary>
    /// <param name="image">RGB uint8 <c>[H, W, 3]</c>.</param>
    /// <returns>Float32 <c>[3, h, w]</c>.</returns>
    public Tensor EvaluationInput(Tensor image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.dim() != 3 || image.shape[2] != 3)
            throw new ArgumentException($"Expected an RGB image [H, W, 3], got [{string.Join(", ", image.shape)}].", nameof(image));
        using var scope = NewDisposeScope();
        var (h, w) = ShorterSideTo((int)image.shape[0], (int)image.shape[1], BaseSize);
        return NormaliseChw(ResizeImage(image, h, w)).MoveToOuterDisposeScope();
    }

    /// <summary>Scales float32 pixels <c>[3, H, W]</c> in 0-255 to [0, 1] and normalises them with <see cref="Mean"/> and <see cref="Std"/>.</summary>
    private Tensor NormaliseChw(Tensor pixels)
    {
        var mean = tensor(new[] { Mean[0], Mean[1], Mean[2] }).view(3, 1, 1);
        var std = tensor(new[] { Std[0], Std[1], Std[2] }).view(3, 1, 1);
        return pixels.div(Constants.Max).sub_(mean).div_(std);
    }

    /// <summary>torchvision's <c>resize(img, size)</c> for an int size: the shorter side becomes <paramref name="shorter"/>, the longer keeps the ratio (truncated).</summary>
    private static (int Height, int Width) ShorterSideTo(int height, int width, int shorter) =>
        height <= width ? (shorter, (int)((long)shorter * width / height)) : ((int)((long)shorter * height / width), shorter);

    /// <summary>The image as float32 <c>[3, h, w]</c> in 0-255 and the mask as uint8 <c>[h, w]</c>, both at the new size.</summary>
    private static (Tensor Pixels, Tensor Classes) Resize(Tensor image, Tensor mask, int height, int width)
    {
        var pixels = ResizeImage(image, height, width);
        if (height == mask.shape[0] && width == mask.shape[1])
            return (pixels, mask);
        return (pixels, mask.index_select(0, NearestSources(mask.shape[0], height)).index_select(1, NearestSources(mask.shape[1], width)));
    }

    /// <summary>An RGB uint8 image <c>[H, W, 3]</c> as float32 <c>[3, h, w]</c> in 0-255, resized bilinearly (antialiased when shrinking).</summary>
    private static Tensor ResizeImage(Tensor image, int height, int width)
    {
        var pixels = image.permute(2, 0, 1).to(ScalarType.Float32);
        if (height == image.shape[0] && width == image.shape[1])
            return pixels;
        return nn.functional.interpolate(pixels.unsqueeze(0), new long[] { height, width }, mode: InterpolationMode.Bilinear, align_corners: false,
            antialias: true)[0].clamp_(Constants.Zero, Constants.Max);
    }

    /// <summary>
    /// For each of <paramref name="to"/> output pixels, the source pixel (of <paramref name="from"/>) whose centre is
    /// nearest its centre: <c>floor((i + 0.5) * from / to)</c>, PyTorch's "nearest-exact" and PIL's nearest.
    /// </summary>
    private static Tensor NearestSources(long from, long to)
    {
        var sources = new long[to];
        for (long i = 0; i < to; i++)
            sources[i] = Math.Min(from - 1, (long)Math.Floor((i + 0.5) * from / to));
        return tensor(sources);
    }

    private static void CheckPair(Tensor image, Tensor mask)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(mask);
        if (image.dim() != 3 || image.shape[2] != 3 || mask.dim() != 2 || image.shape[0] != mask.shape[0] || image.shape[1] != mask.shape[1])
            throw new ArgumentException(
                $"Expected an RGB image [H, W, 3] and a mask [H, W] of the same size, got [{string.Join(", ", image.shape)}] and [{string.Join(", ", mask.shape)}].",
                nameof(mask));
    }

    /// <summary>Scalars held for the life of the process (TorchSharp 0.107 may free a temporary one during the native call that reads it).</summary>
    private static class Constants
    {
        public static readonly Scalar Zero = 0.0, Max = 255.0;
    }
}
