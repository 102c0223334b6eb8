using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection;

/// <summary>
/// The arithmetic of torchvision's <c>GeneralizedRCNNTransform</c> (torchvision 0.14): the size an image is resized to,
/// the image resize itself, the mapping of boxes between sizes, and the zero-padded batch whose sides are multiples of 32.
/// </summary>
public static class DetectionTransform
{
    /// <summary>
    /// The size torchvision resizes an image to: <c>scale = min(minSize / shorter side, maxSize / longer side)</c> in
    /// float32, computed as torchvision does (<c>reciprocal(side) * size</c>, Python's <c>float / tensor</c>), then each
    /// side <c>floor(side * scale)</c> in double precision (<c>interpolate</c> with <c>recompute_scale_factor=True</c>).
    /// A 427 x 640 image with (800, 1333) becomes 799 x 1199, not 800 x 1200.
    /// </summary>
    /// <param name="height">The image's height.</param>
    /// <param name="width">The image's width.</param>
    /// <param name="minSize">The wanted shorter side (800).</param>
    /// <param name="maxSize">The largest longer side (1333).</param>
    /// <returns>The resized (height, width); the image is resized to it bilinearly with <c>align_corners=false</c>.</returns>
    public static (long Height, long Width) ResizedSize(long height, long width, double minSize, double maxSize)
    {
        if (height < 1 || width < 1)
            throw new ArgumentOutOfRangeException(nameof(height), $"The image must have a positive size, got {height} x {width}.");
        if (!(minSize > 0) || !(maxSize > 0) || double.IsInfinity(minSize) || double.IsInfinity(maxSize))
            throw new ArgumentOutOfRangeException(nameof(minSize), $"minSize and maxSize must be positive numbers, got {minSize} and {maxSize}.");
        float shorter = Math.Min(height, width);
        float longer = Math.Max(height, width);
        float scale = Math.Min(1f / shorter * (float)minSize, 1f / longer * (float)maxSize);
        long newHeight = (long)Math.Floor(height * (double)scale);
        long newWidth = (long)Math.Floor(width * (double)scale);
        if (newHeight < 1 || newWidth < 1)
            throw new ArgumentException(
                $"A {height} x {width} image resized for ({minSize}, {maxSize}) would be {newHeight} x {newWidth}; torchvision refuses it too. Pad or crop the image first.",
                nameof(height));
        return (newHeight, newWidth);
    }

    /// <summary>
    /// Resizes one image as torchvision's evaluation transform does: to <see cref="ResizedSize"/>, bilinearly with
    /// <c>align_corners=false</c>, the sampling ratio taken from the two sizes (torchvision's
    /// <c>recompute_scale_factor=True</c>).
    /// </summary>
    /// <param name="image">[C, H, W] floating-point image.</param>
    /// <param name="minSize">The wanted shorter side (800).</param>
    /// <param name="maxSize">The largest longer side (1333).</param>
    /// <returns>[C, H', W'] resized image, same dtype and device.</returns>
    public static Tensor ResizeImage(Tensor image, double minSize, double maxSize)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.dim() != 3 || !image.is_floating_point())
            throw new ArgumentException(
                $"image must be a floating-point [C, H, W] tensor, got {image.dtype} {BoxChecks.Shape(image)}; convert a byte image with ImagePreprocessor or image.to(ScalarType.Float32).div(255) first.",
                nameof(image));
        var (height, width) = ResizedSize(image.size(1), image.size(2), minSize, maxSize);
        using var batch = image.unsqueeze(0);
        using var resized = nn.functional.interpolate(batch, new[] { height, width }, mode: InterpolationMode.Bilinear, align_corners: false);
        return resized.squeeze(0);
    }

    /// <summary>
    /// Maps boxes from one image size to another (torchvision's <c>resize_boxes</c>): x times <c>new width / old width</c>,
    /// y times <c>new height / old height</c>, each ratio computed in float32 as torchvision computes it.
    /// </summary>
    /// <param name="boxes">[N, 4] boxes (x1, y1, x2, y2).</param>
    /// <param name="original">The size the boxes are in.</param>
    /// <param name="resized">The size wanted.</param>
    /// <returns>[N, 4] boxes in the new size.</returns>
    public static Tensor ResizeBoxes(Tensor boxes, (long Height, long Width) original, (long Height, long Width) resized)
    {
        BoxChecks.Boxes(boxes, nameof(boxes), floating: true);
        if (original.Height < 1 || original.Width < 1)
            throw new ArgumentOutOfRangeException(nameof(original), $"The original size must be positive, got {original.Height} x {original.Width}.");
        using var scope = NewDisposeScope();
        using var ratioHeight = ((double)((float)resized.Height / (float)original.Height)).ToScalar();
        using var ratioWidth = ((double)((float)resized.Width / (float)original.Width)).ToScalar();
        var parts = boxes.unbind(1);
        return stack(new[] { parts[0].mul(ratioWidth), parts[1].mul(ratioHeight), parts[2].mul(ratioWidth), parts[3].mul(ratioHeight) }, 1)
            .MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Stacks images of different sizes into one zero-padded batch (torchvision's <c>batch_images</c>): the largest height
    /// and width, each rounded up to a multiple of <paramref name="sizeDivisible"/>; each image at the top left.
    /// </summary>
    /// <param name="images">[C, H_i, W_i] images, one dtype and device.</param>
    /// <param name="sizeDivisible">The multiple of the batch's sides (32).</param>
    /// <returns>[N, C, H, W] batch.</returns>
    public static Tensor BatchImages(IReadOnlyList<Tensor> images, int sizeDivisible = 32)
    {
        ArgumentNullException.ThrowIfNull(images);
        Guard.Positive(sizeDivisible, nameof(sizeDivisible));
        if (images.Count == 0)
            throw new ArgumentException("images must hold at least one image.", nameof(images));
        for (int i = 0; i < images.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(images[i], nameof(images));
            if (images[i].dim() != 3)
                throw new ArgumentException($"images is expected to be a list of 3d tensors of shape [C, H, W], got {BoxChecks.Shape(images[i])} at {i}.", nameof(images));
            if (images[i].dtype != images[0].dtype)
                throw new ArgumentException($"images[{i}] ({images[i].dtype}) and images[0] ({images[0].dtype}) must have one dtype.", nameof(images));
            BoxChecks.SameDevice(images[i], $"images[{i}]", images[0], "images[0]");
        }
        long channels = images.Max(i => i.size(0));
        long height = RoundUp(images.Max(i => i.size(1)), sizeDivisible);
        long width = RoundUp(images.Max(i => i.size(2)), sizeDivisible);
        var batch = zeros(new long[] { images.Count, channels, height, width }, images[0].dtype, images[0].device);
        using (no_grad())
        {
            for (int i = 0; i < images.Count; i++)
            {
                var image = images[i];
                using var target = batch[i, TensorIndex.Slice(0, image.size(0)), TensorIndex.Slice(0, image.size(1)), TensorIndex.Slice(0, image.size(2))];
                target.copy_(image);
            }
        }
        return batch;
    }

    private static long RoundUp(long value, int multiple) => (long)(Math.Ceiling((double)value / multiple) * multiple);
}
