using System;
using System.Collections.Generic;
using ResNeStBlocks.Samples.Data;
using ResNeStBlocks.Vision;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.Segment;

/// <summary>
/// The augmentation of torchvision's segmentation reference (<c>SegmentationPresetTrain</c>) from the library's paired
/// transforms: <see cref="RandomResize"/> of the shorter side to [<see cref="MinScale"/>, <see cref="MaxScale"/>] x
/// <see cref="BaseSize"/>, <see cref="HorizontalFlip"/>, <see cref="PadIfSmaller"/> (black image, ignored mask) and a
/// <see cref="RandomCrop"/> of <see cref="CropSize"/>; finally the image is scaled to [0, 1] and normalised.
/// </summary>
/// <param name="BaseSize">The shorter side the scale range refers to (torchvision: 520).</param>
/// <param name="CropSize">Side of the square training crop (torchvision: 480).</param>
/// <param name="Mean">Per-channel RGB mean.</param>
/// <param name="Std">Per-channel RGB standard deviation.</param>
/// <param name="MinScale">Smallest shorter side, as a multiple of <see cref="BaseSize"/> (torchvision: 0.5).</param>
/// <param name="MaxScale">Largest shorter side, as a multiple of <see cref="BaseSize"/> (torchvision: 2.0).</param>
public sealed record JointTransform(int BaseSize, int CropSize, IReadOnlyList<float> Mean, IReadOnlyList<float> Std, double MinScale = 0.5, double MaxScale = 2.0)
{
    /// <summary>The paired transforms of <see cref="Apply"/>, in order.</summary>
    public Compose Augmentation => new(new RandomResize((int)(MinScale * BaseSize), (int)(MaxScale * BaseSize)), new HorizontalFlip(0.5),
        new PadIfSmaller(CropSize, CropSize, Fill: 0, MaskFill: SegmentationFolder.IgnoreIndex), new RandomCrop(CropSize, CropSize));

    /// <summary>Augments one example.</summary>
    /// <param name="image">RGB uint8 <c>[H, W, 3]</c>.</param>
    /// <param name="mask">Class indices uint8 <c>[H, W]</c>.</param>
    /// <param name="random">The example's own source of randomness (so the result does not depend on thread timing).</param>
    /// <returns>The normalised float32 image <c>[3, CropSize, CropSize]</c> and the int64 mask <c>[CropSize, CropSize]</c>.</returns>
    public Example Apply(Tensor image, Tensor mask, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        CheckPair(image, mask);
        using var scope = NewDisposeScope();
        using var sample = PairedSample.ForSegmentation(Pixels(image), mask.alias());
        using var augmented = Augmentation.Apply(sample, random);
        return Finish(augmented);
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
        using var sample = PairedSample.ForSegmentation(Pixels(image), mask.alias());
        using var resized = RandomResize.Resize(sample, BaseSize);
        return Finish(resized);
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
        using var sample = PairedSample.ForSegmentation(Pixels(image), zeros(image.shape[0], image.shape[1], ScalarType.Byte));
        using var resized = RandomResize.Resize(sample, BaseSize);
        return Normalise(resized.Image).MoveToOuterDisposeScope();
    }

    /// <summary>RGB uint8 <c>[H, W, 3]</c> as float32 <c>[3, H, W]</c> in 0-255.</summary>
    private static Tensor Pixels(Tensor image) => image.permute(2, 0, 1).to(ScalarType.Float32);

    private Example Finish(PairedSample sample) =>
        new(Normalise(sample.Image).MoveToOuterDisposeScope(), sample.ClassMask!.to(ScalarType.Int64).contiguous().MoveToOuterDisposeScope());

    /// <summary>
    /// Clamps pixels in 0-255 (the antialiased resize can overshoot by a rounding error; clamping commutes with the flip,
    /// the black padding and the crop), scales them to [0, 1] and normalises them with <see cref="Mean"/> and <see cref="Std"/>.
    /// </summary>
    private Tensor Normalise(Tensor pixels)
    {
        var mean = tensor(new[] { Mean[0], Mean[1], Mean[2] }).view(3, 1, 1);
        var std = tensor(new[] { Std[0], Std[1], Std[2] }).view(3, 1, 1);
        return pixels.clamp(Constants.Zero, Constants.Max).div_(Constants.Max).sub_(mean).div_(std);
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
