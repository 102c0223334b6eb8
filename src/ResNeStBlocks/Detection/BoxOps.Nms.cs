using System;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection;

public static partial class BoxOps
{
    /// <summary>
    /// Non-maximum suppression with torchvision's rule (<c>torchvision.ops.nms</c>): boxes are visited by descending
    /// score (a stable sort, so equal scores keep their input order, as torchvision's CPU kernel does), and each kept box
    /// removes every later box whose IoU with it is greater than <paramref name="iouThreshold"/>.
    /// </summary>
    /// <remarks>
    /// On a GPU (and for half-precision boxes) the IoU of every pair is compared on the device and packed into 64-bit
    /// words, which come to the host in one transfer (N * N / 8 bytes), as torchvision's CUDA kernel does; the greedy pass
    /// then runs over those words. CPU tensors are already in host memory, so there the greedy pass reads the sorted
    /// boxes once and computes only the IoUs it needs, as torchvision's CPU kernel does. Both compute the IoU in the
    /// boxes' dtype with torchvision's formula, so float64 boxes decide exactly as torchvision's float64 kernel.
    /// </remarks>
    /// <param name="boxes">[N, 4] boxes (x1, y1, x2, y2), floating point.</param>
    /// <param name="scores">[N] scores, the boxes' dtype and device.</param>
    /// <param name="iouThreshold">Boxes overlapping a kept box by more than this are removed.</param>
    /// <returns>int64 indices of the kept boxes, by descending score, on the boxes' device.</returns>
    public static Tensor Nms(Tensor boxes, Tensor scores, double iouThreshold)
    {
        BoxChecks.Boxes(boxes, nameof(boxes), floating: true);
        BoxChecks.PerBox(scores, nameof(scores), boxes, nameof(boxes), floating: true);
        CheckThreshold(iouThreshold);
        return Suppress(boxes, scores, iouThreshold);
    }

    /// <summary>
    /// Non-maximum suppression within each category (torchvision's <c>batched_nms</c>), by torchvision's coordinate
    /// trick: every box is shifted by <c>category * (max coordinate + 1)</c>, so boxes of different categories never
    /// overlap, and one <see cref="Nms"/> runs over all of them. The result is ordered by descending score across
    /// categories.
    /// </summary>
    /// <remarks>
    /// torchvision's <c>batched_nms</c> uses this trick up to 1,000 boxes on the CPU (5,000 on CUDA) and a loop over
    /// categories above that; both keep the same boxes, but where scores are equal the loop may order them differently.
    /// This method always uses the trick (torchvision's <c>_batched_nms_coordinate_trick</c>).
    /// </remarks>
    /// <param name="boxes">[N, 4] boxes (x1, y1, x2, y2), floating point.</param>
    /// <param name="scores">[N] scores, the boxes' dtype and device.</param>
    /// <param name="categories">[N] integer category of each box, on the boxes' device.</param>
    /// <param name="iouThreshold">Boxes overlapping a kept box of their category by more than this are removed.</param>
    /// <returns>int64 indices of the kept boxes, by descending score, on the boxes' device.</returns>
    public static Tensor BatchedNms(Tensor boxes, Tensor scores, Tensor categories, double iouThreshold) =>
        BatchedNms(boxes, scores, categories, iouThreshold, deviceMatrix: false);

    internal static Tensor BatchedNms(Tensor boxes, Tensor scores, Tensor categories, double iouThreshold, bool deviceMatrix)
    {
        BoxChecks.Boxes(boxes, nameof(boxes), floating: true);
        BoxChecks.PerBox(scores, nameof(scores), boxes, nameof(boxes), floating: true);
        BoxChecks.PerBox(categories, nameof(categories), boxes, nameof(boxes), floating: false);
        CheckThreshold(iouThreshold);
        if (boxes.size(0) == 0)
            return empty(0, ScalarType.Int64, boxes.device);
        using var scope = NewDisposeScope();
        var step = boxes.max().add(DetectionScalars.One, DetectionScalars.One);
        var offsets = categories.to(boxes.dtype).mul(step);
        var shifted = boxes.add(offsets[.., TensorIndex.None], DetectionScalars.One);
        return Suppress(shifted, scores, iouThreshold, deviceMatrix).MoveToOuterDisposeScope();
    }

    /// <summary>The greedy pass: sequential on CPU tensors, through the packed device matrix elsewhere (or when forced, for tests).</summary>
    internal static Tensor Suppress(Tensor boxes, Tensor scores, double iouThreshold, bool deviceMatrix = false) =>
        !deviceMatrix && SequentialSuppression.Handles(boxes)
            ? SequentialSuppression.Nms(boxes, scores, iouThreshold)
            : SuppressionMask.Nms(boxes, scores, iouThreshold);

    private static void CheckThreshold(double iouThreshold)
    {
        if (double.IsNaN(iouThreshold))
            throw new ArgumentOutOfRangeException(nameof(iouThreshold), iouThreshold, "iouThreshold must be a number (IoU is in [0, 1]).");
    }
}
