using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection;

/// <summary>
/// Greedy non-maximum suppression over a suppression matrix built on the device: bit j of row i says that box i
/// (in score order) overlaps box j by more than the threshold. The matrix comes to the host once, packed 64 boxes to a
/// word (torchvision's CUDA kernel packs it the same way), and the greedy pass ORs the rows of the kept boxes.
/// </summary>
internal static class SuppressionMask
{
    /// <summary>Rows of the IoU matrix computed at once: bounds the device memory to about 4M IoU values.</summary>
    private const long PairsPerChunk = 1L << 22;

    /// <summary>2^k for k = 0..63 as int64 (2^63 is long.MinValue): summing distinct powers packs bits with no carry.</summary>
    private static readonly long[] BitValues = CreateBitValues();

    public static Tensor Nms(Tensor boxes, Tensor scores, double iouThreshold)
    {
        long count = boxes.size(0);
        var device = boxes.device;
        if (count == 0)
            return empty(0, ScalarType.Int64, device);
        using var scope = NewDisposeScope();
        var order = scores.sort(0, descending: true, stable: true).Indices;
        var sorted = boxes.index_select(0, order);
        long[] words = PackedOverlaps(sorted, iouThreshold);
        long[] kept = Greedy(words, count);
        var keptPositions = tensor(kept, ScalarType.Int64).to(device);
        return order.index_select(0, keptPositions).MoveToOuterDisposeScope();
    }

    /// <summary>The packed matrix, row-major, <c>ceil(N / 64)</c> words per row.</summary>
    private static long[] PackedOverlaps(Tensor sorted, double iouThreshold)
    {
        long count = sorted.size(0);
        long wordsPerRow = (count + 63) / 64;
        long padded = wordsPerRow * 64;
        long rowsPerChunk = Math.Max(1, PairsPerChunk / padded);
        using var threshold = iouThreshold.ToScalar();
        var bitValues = tensor(BitValues, ScalarType.Int64).to(sorted.device);
        var area = BoxOps.Area(sorted);
        var chunks = new List<Tensor>();
        for (long start = 0; start < count; start += rowsPerChunk)
        {
            long end = Math.Min(count, start + rowsPerChunk);
            var rows = sorted[TensorIndex.Slice(start, end)];
            var topLeft = maximum(rows[.., TensorIndex.None, ..2], sorted[.., ..2]);
            var bottomRight = minimum(rows[.., TensorIndex.None, 2..], sorted[.., 2..]);
            var sides = bottomRight.sub(topLeft).clamp_min(DetectionScalars.Zero);
            var inter = sides[.., .., 0].mul(sides[.., .., 1]);
            var union = area[TensorIndex.Slice(start, end), TensorIndex.None].add(area, DetectionScalars.One).sub(inter);
            var overlaps = inter.div(union).gt(threshold);
            if (padded != count)
                overlaps = nn.functional.pad(overlaps, new[] { 0L, padded - count });
            chunks.Add(overlaps.view(end - start, wordsPerRow, 64).to(ScalarType.Int64).mul(bitValues).sum(-1));
        }
        var packed = cat(chunks, 0).cpu();
        return packed.data<long>().ToArray();
    }

    /// <summary>Visits rows in score order; a row not yet suppressed is kept and suppresses its set bits.</summary>
    private static long[] Greedy(long[] words, long count)
    {
        long wordsPerRow = (count + 63) / 64;
        var removed = new ulong[wordsPerRow];
        var kept = new List<long>();
        for (long i = 0; i < count; i++)
        {
            long word = i >> 6;
            if ((removed[word] >> (int)(i & 63) & 1UL) != 0)
                continue;
            kept.Add(i);
            long row = i * wordsPerRow;
            for (long w = word; w < wordsPerRow; w++)
                removed[w] |= unchecked((ulong)words[row + w]);
        }
        return kept.ToArray();
    }

    private static long[] CreateBitValues()
    {
        var values = new long[64];
        for (int k = 0; k < 64; k++)
            values[k] = unchecked((long)(1UL << k));
        return values;
    }
}
