using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection;

/// <summary>Region-of-interest pooling, torchvision's <c>torchvision.ops.roi_align</c>.</summary>
public static class RoiOps
{
    /// <summary>
    /// RoIAlign (torchvision's <c>roi_align</c>, Mask R-CNN's pooling): each roi is divided into
    /// <paramref name="outputHeight"/> x <paramref name="outputWidth"/> bins, and each bin is the average of bilinear
    /// samples of the features on a regular grid. Differentiable with respect to <paramref name="input"/>.
    /// </summary>
    /// <param name="input">[B, C, H, W] features, floating point.</param>
    /// <param name="rois">[K, 5] rois (batch index, x1, y1, x2, y2) in the coordinates that <paramref name="spatialScale"/>
    /// maps onto the features; the input's dtype and device.</param>
    /// <param name="outputHeight">Bins per roi, vertically.</param>
    /// <param name="outputWidth">Bins per roi, horizontally.</param>
    /// <param name="spatialScale">Feature pixels per roi unit (1/16 for a stride-16 map with rois in image pixels).</param>
    /// <param name="samplingRatio">Sampling points per bin along each axis; 0 or less: <c>ceil(roi size / bins)</c>,
    /// chosen per roi (torchvision's adaptive rule).</param>
    /// <param name="aligned">true: pixel centres at half-integers, coordinates shifted by -0.5 (the correct
    /// alignment); false: torchvision's legacy rule (no shift, rois at least one pixel wide and high).</param>
    /// <returns>[K, C, outputHeight, outputWidth] pooled features, in the order of the rois.</returns>
    public static Tensor RoiAlign(Tensor input, Tensor rois, int outputHeight, int outputWidth, double spatialScale = 1.0,
        int samplingRatio = -1, bool aligned = false)
    {
        CheckFeatures(input, nameof(input));
        ArgumentNullException.ThrowIfNull(rois);
        if (rois.dim() != 2 || rois.size(1) != 5)
            throw new ArgumentException(
                $"rois must have shape [K, 5] (batch index, x1, y1, x2, y2), got {BoxChecks.Shape(rois)}; build it from per-image boxes with RoiOps.ToRoiFormat.",
                nameof(rois));
        if (rois.dtype != input.dtype)
            throw new ArgumentException($"rois ({rois.dtype}) must have the dtype of input ({input.dtype}).", nameof(rois));
        BoxChecks.SameDevice(rois, nameof(rois), input, nameof(input));
        Guard.Positive((outputHeight, nameof(outputHeight)), (outputWidth, nameof(outputWidth)));
        CheckScale(spatialScale, nameof(spatialScale));
        return RoiAlignKernel.Pool(new[] { input }, rois, null, new[] { spatialScale }, outputHeight, outputWidth, samplingRatio, aligned);
    }

    /// <summary>
    /// RoIAlign over per-image boxes (torchvision's <c>roi_align</c> given a list of boxes): box list i belongs to image i
    /// of <paramref name="input"/>.
    /// </summary>
    /// <param name="input">[B, C, H, W] features, floating point.</param>
    /// <param name="boxes">One [N_i, 4] tensor of boxes (x1, y1, x2, y2) per image, the input's dtype and device.</param>
    /// <param name="outputHeight">Bins per roi, vertically.</param>
    /// <param name="outputWidth">Bins per roi, horizontally.</param>
    /// <param name="spatialScale">Feature pixels per box unit.</param>
    /// <param name="samplingRatio">Sampling points per bin along each axis; 0 or less: adaptive, per roi.</param>
    /// <param name="aligned">Shift coordinates by half a pixel (see the other overload).</param>
    /// <returns>[sum N_i, C, outputHeight, outputWidth], image 0's boxes first.</returns>
    public static Tensor RoiAlign(Tensor input, IReadOnlyList<Tensor> boxes, int outputHeight, int outputWidth,
        double spatialScale = 1.0, int samplingRatio = -1, bool aligned = false)
    {
        CheckFeatures(input, nameof(input));
        using var rois = ToRoiFormat(boxes);
        return RoiAlign(input, rois, outputHeight, outputWidth, spatialScale, samplingRatio, aligned);
    }

    /// <summary>
    /// Joins per-image boxes into one [K, 5] roi tensor whose first column is the image's index (torchvision's
    /// <c>convert_boxes_to_roi_format</c>).
    /// </summary>
    /// <param name="boxes">One [N_i, 4] tensor per image, all of one dtype and device.</param>
    /// <returns>[sum N_i, 5] rois.</returns>
    public static Tensor ToRoiFormat(IReadOnlyList<Tensor> boxes)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        if (boxes.Count == 0)
            throw new ArgumentException("boxes must hold one tensor per image, got none.", nameof(boxes));
        for (int i = 0; i < boxes.Count; i++)
        {
            BoxChecks.Boxes(boxes[i], $"{nameof(boxes)}[{i}]", floating: true);
            if (boxes[i].dtype != boxes[0].dtype)
                throw new ArgumentException($"boxes[{i}] ({boxes[i].dtype}) and boxes[0] ({boxes[0].dtype}) must have one dtype.", nameof(boxes));
            BoxChecks.SameDevice(boxes[i], $"{nameof(boxes)}[{i}]", boxes[0], "boxes[0]");
        }
        using var scope = NewDisposeScope();
        var parts = boxes.Select((b, i) =>
        {
            using var index = ((double)i).ToScalar();
            return cat(new[] { full(b.size(0), 1, index, b.dtype, b.device), b }, 1);
        }).ToList();
        return cat(parts, 0).MoveToOuterDisposeScope();
    }

    internal static void CheckFeatures(Tensor input, string name)
    {
        ArgumentNullException.ThrowIfNull(input, name);
        if (input.dim() != 4)
            throw new ArgumentException($"{name} must be a [batch, channels, height, width] feature map, got {BoxChecks.Shape(input)}.", name);
        if (!input.dtype.IsFloatingPoint())
            throw new ArgumentException($"{name} must be floating point, got {input.dtype}.", name);
    }

    internal static void CheckScale(double spatialScale, string name)
    {
        if (!(spatialScale > 0) || double.IsInfinity(spatialScale))
            throw new ArgumentOutOfRangeException(name, spatialScale, $"{name} must be a positive number, got {spatialScale}.");
    }
}
