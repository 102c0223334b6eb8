using System;
using System.Collections.Generic;
using System.Linq;

namespace ResNeStBlocks.Evaluation;

/// <summary>
/// Segmentation figures from a pixel confusion matrix (rows: true class, columns: predicted class; ignored pixels are
/// not counted): pixel accuracy, the intersection over union of each class, and their mean.
/// </summary>
/// <remarks>
/// A class that is neither in the ground truth nor predicted has no IoU (NaN) and is left out of the mean, as mmseg's
/// and segmentation_models_pytorch's means leave it out; a class that is predicted but absent from the ground truth has
/// IoU 0 and counts. <see cref="ConfusionCounter"/> builds the matrix on the model's device.
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
    /// <exception cref="ArgumentException">The matrix is not square.</exception>
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
