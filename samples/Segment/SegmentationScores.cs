using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.Segment;

/// <summary>
/// Segmentation figures from a pixel confusion matrix (rows: true class, columns: predicted class; ignored pixels are
/// not counted): pixel accuracy, the intersection over union of each class, and their mean.
/// </summary>
/// <remarks>
/// A class that is neither in the ground truth nor predicted has no IoU (NaN) and is left out of the mean, as mmseg's
/// and segmentation_models_pytorch's means leave it out; a class that is predicted but absent from the ground truth has
/// IoU 0 and counts.
/// </remarks>
/// <param name="PixelAccuracy">Correct pixels over all counted pixels (0 when none were counted).</param>
/// <param name="MeanIoU">Mean of the defined per-class IoUs (NaN when none is defined).</param>
/// <param name="ClassIoU">Per class: true positives over (true positives + false positives + false negatives), or NaN.</param>
/// <param name="Confusion">The matrix the figures come from.</param>
public sealed record SegmentationScores(double PixelAccuracy, double MeanIoU, IReadOnlyList<double> ClassIoU, long[,] Confusion)
{
    /// <summary>Computes the figures of <paramref name="confusion"/>.</summary>
    /// <param name="confusion">Pixel counts <c>[true, predicted]</c>, square.</param>
    /// <returns>The scores.</returns>
    public static SegmentationScores From(long[,] confusion)
    {
        ArgumentNullException.ThrowIfNull(confusion);
        int n = confusion.GetLength(0);
        if (confusion.GetLength(1) != n)
            throw new ArgumentException($"The confusion matrix must be square, got {n}x{confusion.GetLength(1)}.", nameof(confusion));
        long total = 0, correct = 0;
        var iou = new double[n];
        for (int c = 0; c < n; c++)
        {
            long truth = 0, predicted = 0;
            for (int k = 0; k < n; k++)
            {
                truth += confusion[c, k];
                predicted += confusion[k, c];
            }
            long union = truth + predicted - confusion[c, c];
            iou[c] = union == 0 ? double.NaN : (double)confusion[c, c] / union;
            total += truth;
            correct += confusion[c, c];
        }
        var defined = iou.Where(v => !double.IsNaN(v)).ToArray();
        return new SegmentationScores(total == 0 ? 0 : (double)correct / total, defined.Length == 0 ? double.NaN : defined.Average(), iou, confusion);
    }
}

/// <summary>
/// Counts (true class, predicted class) pixel pairs on the model's device, without reading anything back until
/// <see cref="Read"/>: pixels whose target is the ignore index land in a spare bin that is never read.
/// </summary>
public sealed class ConfusionCounter : IDisposable
{
    private static readonly Scalar One = 1, Ignore = (long)SegmentationFolder.IgnoreIndex;
    private readonly Tensor counts;
    private readonly int classes;

    /// <summary>Creates an empty counter.</summary>
    /// <param name="classes">Number of classes.</param>
    /// <param name="device">Where predictions and targets live.</param>
    public ConfusionCounter(int classes, Device device)
    {
        this.classes = classes;
        counts = zeros(new long[] { classes * classes + 1 }, ScalarType.Int64, device);
    }

    /// <summary>Adds a batch.</summary>
    /// <param name="predicted">Predicted class per pixel, int64 <c>[N, H, W]</c>.</param>
    /// <param name="target">True class per pixel (or the ignore index), int64 <c>[N, H, W]</c>.</param>
    public void Add(Tensor predicted, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(target);
        using var scope = NewDisposeScope();
        using Scalar classCount = (long)classes, spare = (long)classes * classes;
        var cells = target.mul(classCount).add_(predicted, One).masked_fill_(target.eq(Ignore), spare).flatten();
        counts.index_add_(0, cells, ones_like(cells), One);
    }

    /// <summary>The counts so far (one read from the device).</summary>
    /// <returns>Pixel counts <c>[true, predicted]</c>.</returns>
    public long[,] Read()
    {
        var flat = counts.cpu().data<long>().ToArray();
        var matrix = new long[classes, classes];
        for (int t = 0; t < classes; t++)
        {
            for (int p = 0; p < classes; p++)
                matrix[t, p] = flat[t * classes + p];
        }
        return matrix;
    }

    /// <inheritdoc />
    public void Dispose() => counts.Dispose();
}
