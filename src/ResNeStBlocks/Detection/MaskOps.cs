using System;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection;

/// <summary>Instance-mask operations of Mask R-CNN, torchvision's <c>paste_masks_in_image</c>.</summary>
public static class MaskOps
{
    /// <summary>
    /// Pastes each box's square mask into an image-sized canvas, as torchvision's <c>paste_masks_in_image</c> does: the
    /// masks are padded with <paramref name="padding"/> zeros on every side, each box grown by the same proportion about
    /// its centre and truncated to integers, each mask resized bilinearly (corners not aligned) to its box's
    /// <c>(x2 - x1 + 1) x (y2 - y1 + 1)</c> pixels and written at the box's place, cut at the image's borders; the rest
    /// is 0.
    /// </summary>
    /// <remarks>
    /// torchvision loops over the masks in Python; here every mask is computed at once in a window of the largest box's
    /// size (cut to the image) placed over its box and kept inside the image, as two matrix products with its bilinear
    /// interpolation matrices (rows outside the box are zero), which computes the same weighted sums of the same four
    /// neighbours; the windows are then written into the zero canvas. Only the window sizes are read back.
    /// </remarks>
    /// <param name="masks">[N, 1, M, M] masks (Mask R-CNN: probabilities, M = 28), floating point.</param>
    /// <param name="boxes">[N, 4] boxes (x1, y1, x2, y2) in the image's pixels, the masks' dtype and device.</param>
    /// <param name="height">The image's height.</param>
    /// <param name="width">The image's width.</param>
    /// <param name="padding">Zeros added around each mask before resizing (torchvision: 1).</param>
    /// <returns>[N, 1, height, width] masks in the image's pixels.</returns>
    /// <exception cref="ArgumentException">A shape, dtype or device does not fit, or a size is not positive.</exception>
    public static Tensor PasteMasksInImage(Tensor masks, Tensor boxes, long height, long width, int padding = 1)
    {
        ArgumentNullException.ThrowIfNull(masks);
        BoxChecks.Boxes(boxes, nameof(boxes), floating: true);
        if (masks.dim() != 4 || masks.size(1) != 1 || masks.size(2) != masks.size(3) || masks.size(0) != boxes.size(0))
            throw new ArgumentException(
                $"masks must have shape [{boxes.size(0)}, 1, M, M] (one square mask per box), got {BoxChecks.Shape(masks)}.", nameof(masks));
        if (masks.dtype != boxes.dtype)
            throw new ArgumentException($"masks ({masks.dtype}) must have the dtype of boxes ({boxes.dtype}).", nameof(masks));
        BoxChecks.SameDevice(masks, nameof(masks), boxes, nameof(boxes));
        if (height < 1 || width < 1)
            throw new ArgumentOutOfRangeException(nameof(height), $"The image's size must be positive, got {height} x {width}.");
        if (padding < 0)
            throw new ArgumentOutOfRangeException(nameof(padding), padding, "padding must be 0 or more.");
        using var scope = NewDisposeScope();
        long side = masks.size(3);
        long padded = side + 2 * padding;
        var padMasks = nn.functional.pad(masks, new long[] { padding, padding, padding, padding }).squeeze(1);
        // expand_boxes with scale (M + 2 padding) / M, in torchvision's order of operations, then truncated as .to(int64).
        using Scalar scale = (double)padded / side;
        var parts = boxes.unbind(1);
        var halfWidth = parts[2].sub(parts[0]).mul(DetectionScalars.Half).mul_(scale);
        var halfHeight = parts[3].sub(parts[1]).mul(DetectionScalars.Half).mul_(scale);
        var centreX = parts[2].add(parts[0], DetectionScalars.One).mul(DetectionScalars.Half);
        var centreY = parts[3].add(parts[1], DetectionScalars.One).mul(DetectionScalars.Half);
        var x1 = centreX.sub(halfWidth).to(ScalarType.Int64);
        var x2 = centreX.add(halfWidth, DetectionScalars.One).to(ScalarType.Int64);
        var y1 = centreY.sub(halfHeight).to(ScalarType.Int64);
        var y2 = centreY.add(halfHeight, DetectionScalars.One).to(ScalarType.Int64);
        var (rowPixels, rows) = Window(y1, y2, height, padded, masks.dtype);
        var (columnPixels, columns) = Window(x1, x2, width, padded, masks.dtype);
        var windows = rows.matmul(padMasks).matmul(columns.transpose(1, 2));
        long count = masks.size(0);
        var canvas = zeros(new long[] { count, height, width }, masks.dtype, masks.device);
        if (count > 0)
        {
            // Every window lies inside the image and holds zeros outside its box, so writing it whole is exact.
            using Scalar countEnd = count;
            var maskIndex = arange(DetectionScalars.ZeroLong, countEnd, DetectionScalars.OneLong, ScalarType.Int64, masks.device).view(-1, 1, 1);
            var rowIndex = rowPixels.unsqueeze(2);
            var columnIndex = columnPixels.unsqueeze(1);
            canvas.index_put_(windows, TensorIndex.Tensor(maskIndex), TensorIndex.Tensor(rowIndex), TensorIndex.Tensor(columnIndex));
        }
        return canvas.unsqueeze(1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The window of one axis that covers every box's pasted pixels: as long as the longest box cut to the image, each
    /// box's window starting at the box's first pixel in the image but moved back to end inside it.
    /// </summary>
    /// <returns>Each box's window's pixels [N, window] int64, and its [N, window, padded] interpolation matrix.</returns>
    private static (Tensor Pixels, Tensor Matrix) Window(Tensor start, Tensor end, long size, long padded, ScalarType dtype)
    {
        using Scalar last = size - 1;
        var first = start.clamp(DetectionScalars.ZeroLong, last);
        var lengths = end.clamp(DetectionScalars.ZeroLong, last).sub(first).add_(DetectionScalars.OneLong, DetectionScalars.OneLong);
        long window = start.size(0) == 0 ? 1 : Math.Clamp(lengths.max().item<long>(), 1, size);
        using Scalar latest = size - window;
        var windowStart = first.clamp_max(latest);
        using Scalar windowEnd = window;
        var offsets = arange(DetectionScalars.ZeroLong, windowEnd, DetectionScalars.OneLong, ScalarType.Int64, start.device);
        var pixels = windowStart.unsqueeze(1).add(offsets.unsqueeze(0), DetectionScalars.OneLong);
        return (pixels, Interpolation(start, end, pixels, padded, dtype));
    }

    /// <summary>
    /// Per box, the [N, P, padded] matrix of the bilinear resize (align_corners false) of <paramref name="padded"/>
    /// samples to the box's <c>max(end - start + 1, 1)</c> pixels, placed from <paramref name="start"/>: row j holds the
    /// weights of output pixel <c>pixels[j] - start</c>, and is zero outside <c>start..end</c>.
    /// </summary>
    private static Tensor Interpolation(Tensor start, Tensor end, Tensor pixelIndex, long padded, ScalarType dtype)
    {
        using Scalar last = padded - 1, count = padded;
        var device = start.device;
        var length = end.sub(start).add_(DetectionScalars.OneLong, DetectionScalars.OneLong).clamp_min_(DetectionScalars.OneLong).to(dtype);
        using var samples = tensor((double)padded, dtype, device);
        var step = samples.div(length).unsqueeze(1);
        var pixels = pixelIndex.to(dtype);
        var startValue = start.to(dtype).unsqueeze(1);
        // area_pixel_compute_source_index: scale * (dst + 0.5) - 0.5, negative values clamped to 0.
        var source = pixels.sub(startValue).add_(DetectionScalars.Half, DetectionScalars.One).mul_(step).sub_(DetectionScalars.Half).clamp_min_(DetectionScalars.Zero);
        var low = source.floor();
        var lambda = source.sub(low);
        var high = low.add(DetectionScalars.One, DetectionScalars.One).clamp_max_(last);
        var taps = arange(DetectionScalars.ZeroLong, count, DetectionScalars.OneLong, dtype, device).view(1, 1, -1);
        var weights = taps.eq(low.unsqueeze(2)).to(dtype).mul_(lambda.neg().add_(DetectionScalars.One, DetectionScalars.One).unsqueeze(2))
            .add_(taps.eq(high.unsqueeze(2)).to(dtype).mul_(lambda.unsqueeze(2)), DetectionScalars.One);
        var inside = pixelIndex.ge(start.unsqueeze(1)).logical_and_(pixelIndex.le(end.unsqueeze(1)));
        return weights.mul_(inside.unsqueeze(2).to(dtype));
    }
}
