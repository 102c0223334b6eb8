using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection;

/// <summary>
/// RoIAlign as tensor operations, over one or several feature maps at once, through libtorch's compiled
/// <c>grid_sample</c>: each roi's samples are torchvision's (<c>roi_align_kernel.cpp</c>), a grid of sampling points per
/// output bin, each one grid point of a bilinear <c>grid_sample</c> with zero padding, and each bin the average of its
/// points, summed by <c>avg_pool2d</c>. Autograd flows to the features through both compiled kernels.
/// </summary>
/// <remarks>
/// torchvision's rule for a point (<c>roi_align_kernel.cpp</c>): outside <c>[-1, size]</c> on either axis it is 0,
/// otherwise it is clamped into <c>[0, size - 1]</c> and interpolated. Both parts separate by axis, so each axis clamps
/// its coordinates itself and moves an invalid one far outside the map, where zero padding gives 0 for the whole row or
/// column of points. Coordinates are normalised with <c>align_corners=False</c> (pixel <c>p</c> to <c>(2p + 1) / size - 1</c>),
/// which stays finite and exact for maps one pixel high or wide. The rois are pooled per (level, image) pair, as
/// torchvision's <c>MultiScaleRoIAlign</c> does per level, in chunks that bound the sampled intermediate. Adaptive
/// sampling (ratio &lt;= 0: <c>ceil(roi size / bins)</c> points per bin for each roi) reads the grid sizes back once per
/// group, sorts the rois by grid area and samples each chunk on its largest grid, dropping the points beyond a roi's own.
/// </remarks>
internal static class RoiAlignKernel
{
    /// <summary>Sampled values per chunk of rois: about 8M elements (32 MB in float32).</summary>
    private const long SampleBudget = 1L << 23;

    /// <param name="levels">Feature maps [B, C, H_l, W_l], one dtype and device.</param>
    /// <param name="rois">[K, 5] rois: batch index, x1, y1, x2, y2 in image coordinates.</param>
    /// <param name="levelOfRoi">[K] int64 level of each roi, or null for level 0.</param>
    /// <param name="scales">The spatial scale of each level.</param>
    /// <param name="outputHeight">Bins per roi, vertically.</param>
    /// <param name="outputWidth">Bins per roi, horizontally.</param>
    /// <param name="samplingRatio">Points per bin and axis; 0 or less: <c>ceil(roi size / bins)</c> per roi.</param>
    /// <param name="aligned">Shift coordinates by half a pixel (torchvision's <c>aligned=True</c>).</param>
    /// <returns>[K, C, outputHeight, outputWidth], in the order of the rois.</returns>
    public static Tensor Pool(IReadOnlyList<Tensor> levels, Tensor rois, Tensor? levelOfRoi, IReadOnlyList<double> scales,
        int outputHeight, int outputWidth, int samplingRatio, bool aligned)
    {
        long batchSize = levels[0].size(0);
        if (rois.size(0) == 0)
            return zeros(new long[] { 0, levels[0].size(1), outputHeight, outputWidth }, levels[0].dtype, levels[0].device);
        using var scope = NewDisposeScope();
        var batch = rois[.., 0].to(ScalarType.Int64);
        Tensor group = batch;
        if (levelOfRoi is not null)
        {
            using var images = batchSize.ToScalar();
            group = levelOfRoi.mul(images).add(batch, DetectionScalars.OneLong);
        }
        long groups = levels.Count * batchSize;
        // One read-back of the group sizes (torchvision reads each level's members back with nonzero).
        var counts = group.bincount(null, groups).cpu().data<long>().ToArray();
        var pooled = new List<Tensor>();
        Tensor? order = null;
        if (counts.Count(c => c > 0) == 1)
        {
            int only = Array.FindIndex(counts, c => c > 0);
            pooled.AddRange(PoolGroup(levels[only / (int)batchSize].narrow(0, only % batchSize, 1), rois, scales[only / (int)batchSize],
                outputHeight, outputWidth, samplingRatio, aligned));
        }
        else
        {
            order = group.sort(0, false, true).Indices;
            long begin = 0;
            for (int g = 0; g < counts.Length; g++)
            {
                if (counts[g] == 0)
                    continue;
                var members = order.narrow(0, begin, counts[g]);
                begin += counts[g];
                pooled.AddRange(PoolGroup(levels[g / (int)batchSize].narrow(0, g % batchSize, 1), rois.index_select(0, members),
                    scales[g / (int)batchSize], outputHeight, outputWidth, samplingRatio, aligned));
            }
        }
        var result = cat(pooled, 0);
        if (order is not null)
            result = result.index_select(0, order.argsort());
        return result.contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Pools the rois of one image from one level, in chunks.</summary>
    /// <returns>[n_i, C, Ph, Pw] tensors whose concatenation is in the rois' order.</returns>
    private static List<Tensor> PoolGroup(Tensor feature, Tensor rois, double scale, int outputHeight,
        int outputWidth, int samplingRatio, bool aligned)
    {
        long channels = feature.size(1);
        long count = rois.size(0);
        using var scaleScalar = scale.ToScalar();
        using var offset = (aligned ? 0.5 : 0.0).ToScalar();
        var x1 = rois[.., 1].mul(scaleScalar).sub(offset);
        var y1 = rois[.., 2].mul(scaleScalar).sub(offset);
        var roiWidth = rois[.., 3].mul(scaleScalar).sub(offset).sub(x1);
        var roiHeight = rois[.., 4].mul(scaleScalar).sub(offset).sub(y1);
        if (!aligned)
        {
            // torchvision's legacy rule: rois are at least one pixel wide and high.
            roiWidth = roiWidth.clamp_min(DetectionScalars.One);
            roiHeight = roiHeight.clamp_min(DetectionScalars.One);
        }
        var box = new RoiBox(x1, y1, roiWidth, roiHeight);
        if (samplingRatio > 0)
        {
            long chunk = Math.Max(1, SampleBudget / Math.Max(1, channels * outputHeight * outputWidth * samplingRatio * samplingRatio));
            var parts = new List<Tensor>();
            for (long begin = 0; begin < count; begin += chunk)
            {
                long n = Math.Min(chunk, count - begin);
                parts.Add(Sample(feature, box.Narrow(begin, n), outputHeight, outputWidth, samplingRatio, samplingRatio, null));
            }
            return parts;
        }
        // Adaptive: ceil(roi size / bins) points per bin and axis, each roi its own. The grid sizes are read back once;
        // the rois are sorted by grid area and chunked, each chunk sampled on its largest grid with the points beyond a
        // roi's own grid dropped.
        using var heightBins = ((double)outputHeight).ToScalar();
        using var widthBins = ((double)outputWidth).ToScalar();
        var rowGrid = roiHeight.div(heightBins).ceil();
        var columnGrid = roiWidth.div(widthBins).ceil();
        var sizes = stack(new[] { rowGrid, columnGrid }, 1).to(ScalarType.Int64).cpu().data<long>().ToArray();
        var order = Enumerable.Range(0, (int)count).OrderBy(i => Math.Max(1, sizes[2 * i]) * Math.Max(1, sizes[2 * i + 1])).ToArray();
        var chunks = new List<Tensor>();
        var sampled = new List<Tensor>();
        var members = new List<long>();
        long rowMax = 1, columnMax = 1;
        void Flush()
        {
            if (members.Count == 0)
                return;
            var index = tensor(members.ToArray(), ScalarType.Int64).to(rois.device);
            chunks.Add(index);
            sampled.Add(Sample(feature, box.Select(index), outputHeight, outputWidth, rowMax, columnMax,
                (rowGrid.index_select(0, index), columnGrid.index_select(0, index))));
            members.Clear();
            rowMax = columnMax = 1;
        }
        foreach (int i in order)
        {
            long nextRows = Math.Max(rowMax, sizes[2 * i]);
            long nextColumns = Math.Max(columnMax, sizes[2 * i + 1]);
            if (members.Count > 0 && (members.Count + 1) * channels * outputHeight * outputWidth * nextRows * nextColumns > SampleBudget)
            {
                Flush();
                nextRows = Math.Max(1, sizes[2 * i]);
                nextColumns = Math.Max(1, sizes[2 * i + 1]);
            }
            members.Add(i);
            rowMax = nextRows;
            columnMax = nextColumns;
        }
        Flush();
        // Back to the rois' order.
        return new List<Tensor> { cat(sampled, 0).index_select(0, cat(chunks, 0).argsort()) };
    }

    /// <summary>Each roi's start and size on its level, in the level's pixels.</summary>
    private sealed record RoiBox(Tensor X1, Tensor Y1, Tensor Width, Tensor Height)
    {
        public RoiBox Narrow(long begin, long n) => new(X1.narrow(0, begin, n), Y1.narrow(0, begin, n), Width.narrow(0, begin, n), Height.narrow(0, begin, n));

        public RoiBox Select(Tensor index) => new(X1.index_select(0, index), Y1.index_select(0, index), Width.index_select(0, index), Height.index_select(0, index));
    }

    /// <summary>
    /// Samples rois on a <paramref name="rowPoints"/> x <paramref name="columnPoints"/> grid per bin and averages each
    /// bin: over the whole grid for a fixed ratio (<paramref name="grids"/> null), else over each roi's own grid, whose
    /// row and column counts <paramref name="grids"/> gives (points beyond them are dropped).
    /// </summary>
    /// <returns>[n, C, Ph, Pw].</returns>
    private static Tensor Sample(Tensor feature, RoiBox box, int outputHeight, int outputWidth, long rowPoints, long columnPoints,
        (Tensor Rows, Tensor Columns)? grids)
    {
        long channels = feature.size(1), height = feature.size(2), width = feature.size(3);
        long n = box.X1.size(0);
        long rows = outputHeight * rowPoints, columns = outputWidth * columnPoints;
        var rowGrid = Axis(box.Y1, box.Height, outputHeight, rowPoints, grids?.Rows, height).view(n, rows, 1).expand(n, rows, columns);
        var columnGrid = Axis(box.X1, box.Width, outputWidth, columnPoints, grids?.Columns, width).view(n, 1, columns).expand(n, rows, columns);
        // The grid depends on the rois alone; torchvision's RoIAlign gives rois no gradient either.
        var grid = stack(new[] { columnGrid, rowGrid }, -1).detach();
        // grid_sample's CPU kernels share out the batch between threads: view the map's channels as one batch entry per
        // thread (a view of one image's contiguous map, so its gradient is a view too) and give each the same grid.
        long parts = Parts(feature);
        var maps = feature.reshape(parts, channels / parts, height, width);
        var points = grid.reshape(1, n * rows, columns, 2).expand(parts, n * rows, columns, 2);
        var samples = nn.functional.grid_sample(maps, points, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, false);
        var window = new[] { rowPoints, columnPoints };
        if (grids is not { } own)
        {
            var bins = nn.functional.avg_pool2d(samples, window, window);
            return bins.view(channels, n, outputHeight, outputWidth).permute(1, 0, 2, 3);
        }
        var sums = nn.functional.avg_pool2d(samples, window, window, divisor_override: 1);
        var counts = own.Rows.mul(own.Columns).clamp_min(DetectionScalars.One).view(n, 1, 1, 1);
        return sums.view(channels, n, outputHeight, outputWidth).permute(1, 0, 2, 3).div(counts);
    }

    /// <summary>Batch entries to split one image's map into: one per CPU thread where the channels divide evenly.</summary>
    private static long Parts(Tensor feature)
    {
        if (feature.device_type != DeviceType.CPU)
            return 1;
        long channels = feature.size(1);
        for (long parts = Math.Min(torch.get_num_threads(), channels); parts > 1; parts--)
            if (channels % parts == 0)
                return parts;
        return 1;
    }

    /// <summary>
    /// One axis of every roi's sampling points, <c>start + p * bin + (i + 0.5) * bin / grid</c> for output cell p and grid
    /// point i (torchvision's order of operations), clamped into the map and normalised for <c>grid_sample</c>; a point
    /// outside <c>[-1, size]</c> or beyond its roi's own grid goes to -3, past every pixel.
    /// </summary>
    /// <param name="start">[K] first pixel.</param>
    /// <param name="length">[K] roi size.</param>
    /// <param name="bins">Output cells.</param>
    /// <param name="points">Grid points per cell.</param>
    /// <param name="grid">[K] each roi's own grid points (floating), or null: every roi has <paramref name="points"/>.</param>
    /// <param name="size">The map's size along this axis.</param>
    /// <returns>[K, bins * points] normalised coordinates.</returns>
    private static Tensor Axis(Tensor start, Tensor length, int bins, long points, Tensor? grid, long size)
    {
        var dtype = start.dtype;
        var device = start.device;
        long count = start.size(0);
        using var binCount = ((double)bins).ToScalar();
        using var pointCount = ((double)points).ToScalar();
        using Scalar last = (double)(size - 1);
        using Scalar sizeScalar = (double)size;
        using var two = 2.0.ToScalar();
        using var outside = (-3.0).ToScalar();
        var bin = length.div(binCount).view(count, 1, 1);
        var cell = arange(DetectionScalars.Zero, binCount, DetectionScalars.One, dtype, device).view(1, bins, 1);
        var index = arange(DetectionScalars.Zero, pointCount, DetectionScalars.One, dtype, device).view(1, 1, points);
        var point = index.add(DetectionScalars.Half, DetectionScalars.One);
        var step = grid is null ? point.mul(bin).div(pointCount) : point.mul(bin).div(grid.view(count, 1, 1));
        var position = start.view(count, 1, 1).add(cell.mul(bin), DetectionScalars.One).add(step, DetectionScalars.One);
        var valid = position.ge(DetectionScalars.MinusOne).logical_and(position.le(sizeScalar));
        if (grid is not null)
            valid = valid.logical_and(index.lt(grid.view(count, 1, 1)));
        var normalised = position.clamp(DetectionScalars.Zero, last).mul(two).add(DetectionScalars.One, DetectionScalars.One)
            .div(sizeScalar).sub(DetectionScalars.One);
        var far = full(1, outside, dtype, device);
        return normalised.where(valid, far).view(count, bins * points);
    }
}
