using System;
using ResNeStBlocks.Detection.Models;
using static TorchSharp.torch;

namespace ResNeStBlocks.Vision;

/// <summary>
/// An image and its ground truth, transformed together. The image is float <c>[3, H, W]</c> (values in [0, 1] for
/// <see cref="PhotometricJitter"/>); the target's boxes are (x1, y1, x2, y2) in its pixels and its masks, if any,
/// <c>[K, H, W]</c>; a semantic segmentation's <see cref="ClassMask"/>, if any, is <c>[H, W]</c>. A transform leaves
/// its input alone and returns new tensor handles, which the caller disposes (<see cref="Dispose"/>).
/// </summary>
/// <param name="Image">Float <c>[3, H, W]</c>.</param>
/// <param name="Target">Boxes, labels and optional masks of the image.</param>
public sealed record PairedSample(Tensor Image, DetectionTarget Target) : IDisposable
{
    /// <summary>
    /// Semantic segmentation's class index per pixel, integer <c>[H, W]</c> (the ignore index, such as 255, for pixels
    /// that count for nothing), or null. Geometric transforms move it with the image (resized by "nearest-exact").
    /// </summary>
    public Tensor? ClassMask { get; init; }

    /// <summary>A segmentation sample: the image and its class mask, with no boxes (an empty target).</summary>
    /// <param name="image">Float <c>[3, H, W]</c>; the sample owns it.</param>
    /// <param name="classMask">Integer <c>[H, W]</c> class indices; the sample owns it.</param>
    /// <returns>The sample.</returns>
    /// <exception cref="ArgumentException">The image is not <c>[3, H, W]</c> or the mask is not an integer <c>[H, W]</c> of its size.</exception>
    public static PairedSample ForSegmentation(Tensor image, Tensor classMask)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(classMask);
        var boxes = zeros(new long[] { 0, 4 }, ScalarType.Float32, image.device);
        var labels = zeros(new long[] { 0 }, ScalarType.Int64, image.device);
        var sample = new PairedSample(image, new DetectionTarget(boxes, labels)) { ClassMask = classMask };
        try
        {
            Check(sample, nameof(classMask));
        }
        catch (ArgumentException)
        {
            boxes.Dispose();
            labels.Dispose();
            throw;
        }
        return sample;
    }

    /// <summary>Rows of the image.</summary>
    public int Height => (int)Image.shape[1];

    /// <summary>Columns of the image.</summary>
    public int Width => (int)Image.shape[2];

    /// <summary>Disposes the image and the target's tensors.</summary>
    public void Dispose()
    {
        Image.Dispose();
        Target.Boxes.Dispose();
        Target.Labels.Dispose();
        Target.Masks?.Dispose();
        ClassMask?.Dispose();
    }

    /// <summary>Checks the shapes a transform relies on before any native call.</summary>
    internal static void Check(PairedSample sample, string argument)
    {
        ArgumentNullException.ThrowIfNull(sample, argument);
        var image = sample.Image;
        if (image.dim() != 3 || image.shape[0] != 3)
            throw new ArgumentException($"Expected the image as [3, H, W], got [{string.Join(", ", image.shape)}]; permute an [H, W, 3] image with permute(2, 0, 1).", argument);
        var boxes = sample.Target.Boxes;
        if (boxes.dim() != 2 || boxes.shape[1] != 4 || !boxes.is_floating_point())
            throw new ArgumentException($"Expected float boxes [K, 4], got {boxes.dtype} [{string.Join(", ", boxes.shape)}].", argument);
        if (sample.Target.Labels.dim() != 1 || sample.Target.Labels.shape[0] != boxes.shape[0])
            throw new ArgumentException($"Expected labels [{boxes.shape[0]}] (one per box), got [{string.Join(", ", sample.Target.Labels.shape)}].", argument);
        var masks = sample.Target.Masks;
        if (masks is not null && (masks.dim() != 3 || masks.shape[0] != boxes.shape[0] || masks.shape[1] != image.shape[1] || masks.shape[2] != image.shape[2]))
            throw new ArgumentException(
                $"Expected masks [{boxes.shape[0]}, {image.shape[1]}, {image.shape[2]}] (one per box, the image's size), got [{string.Join(", ", masks.shape)}].", argument);
        var classMask = sample.ClassMask;
        if (classMask is not null && (classMask.dim() != 2 || classMask.shape[0] != image.shape[1] || classMask.shape[1] != image.shape[2]
            || classMask.is_floating_point() || classMask.is_complex() || classMask.dtype == ScalarType.Bool))
            throw new ArgumentException(
                $"Expected the class mask as integer [{image.shape[1]}, {image.shape[2]}] (the image's size), got {classMask.dtype} [{string.Join(", ", classMask.shape)}].", argument);
    }

    /// <summary>A new sample of <paramref name="image"/> and a target whose tensors are moved out of the current dispose scope.</summary>
    internal static PairedSample Out(Tensor image, Tensor boxes, Tensor labels, Tensor? masks, Tensor? classMask) =>
        new(image.MoveToOuterDisposeScope(), Out(boxes, labels, masks)) { ClassMask = classMask?.MoveToOuterDisposeScope() };

    /// <summary>New handles to every tensor of <paramref name="sample"/> (a transform that changes nothing).</summary>
    internal static PairedSample Alias(PairedSample sample) =>
        new(sample.Image.alias(), new(sample.Target.Boxes.alias(), sample.Target.Labels.alias(), sample.Target.Masks?.alias()))
        {
            ClassMask = sample.ClassMask?.alias(),
        };

    /// <summary>A new target whose tensors are moved out of the current dispose scope.</summary>
    internal static DetectionTarget Out(Tensor boxes, Tensor labels, Tensor? masks) =>
        new(boxes.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope(), masks?.MoveToOuterDisposeScope());
}
