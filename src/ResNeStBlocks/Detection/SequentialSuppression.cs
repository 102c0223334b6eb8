using System;
using System.Collections.Generic;
using System.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection;

/// <summary>
/// Greedy non-maximum suppression on the CPU, as torchvision's CPU kernel runs it: boxes in score order; each box not yet
/// suppressed is kept and suppresses the later boxes whose IoU with it exceeds the threshold, the IoU computed only for
/// boxes still standing, in the boxes' own precision, and compared with the threshold in double precision (C++'s
/// promotion of <c>ovr &gt; iou_threshold</c>).
/// </summary>
/// <remarks>
/// CPU tensors live in host memory, so reading the sorted boxes is one copy; this skips the O(N^2) IoU matrix that the
/// device path builds, which on a CPU costs far more than the pairs the greedy pass actually needs.
/// </remarks>
internal static class SequentialSuppression
{
    public static bool Handles(Tensor boxes) =>
        boxes.device.type == DeviceType.CPU && boxes.dtype is ScalarType.Float32 or ScalarType.Float64;

    public static Tensor Nms(Tensor boxes, Tensor scores, double iouThreshold)
    {
        long count = boxes.size(0);
        if (count == 0)
            return empty(0, ScalarType.Int64, boxes.device);
        using var scope = NewDisposeScope();
        var order = scores.sort(0, descending: true, stable: true).Indices;
        var sorted = boxes.index_select(0, order).contiguous();
        long[] kept = boxes.dtype == ScalarType.Float64
            ? Greedy(sorted.data<double>().ToArray(), iouThreshold)
            : Greedy(sorted.data<float>().ToArray(), iouThreshold);
        var positions = tensor(kept, ScalarType.Int64);
        return order.index_select(0, positions).MoveToOuterDisposeScope();
    }

    /// <summary>The kept positions (in score order) of boxes given as x1, y1, x2, y2 per row, sorted by score.</summary>
    private static long[] Greedy<T>(T[] corners, double iouThreshold) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int count = corners.Length / 4;
        var area = new T[count];
        for (int i = 0; i < count; i++)
            area[i] = (corners[4 * i + 2] - corners[4 * i]) * (corners[4 * i + 3] - corners[4 * i + 1]);
        var suppressed = new bool[count];
        var kept = new List<long>();
        for (int i = 0; i < count; i++)
        {
            if (suppressed[i])
                continue;
            kept.Add(i);
            T ix1 = corners[4 * i], iy1 = corners[4 * i + 1], ix2 = corners[4 * i + 2], iy2 = corners[4 * i + 3];
            T iArea = area[i];
            for (int j = i + 1; j < count; j++)
            {
                if (suppressed[j])
                    continue;
                T w = T.Max(T.Zero, T.Min(ix2, corners[4 * j + 2]) - T.Max(ix1, corners[4 * j]));
                T h = T.Max(T.Zero, T.Min(iy2, corners[4 * j + 3]) - T.Max(iy1, corners[4 * j + 1]));
                T inter = w * h;
                T overlap = inter / (iArea + area[j] - inter);
                if (double.CreateTruncating(overlap) > iouThreshold)
                    suppressed[j] = true;
            }
        }
        return kept.ToArray();
    }
}
