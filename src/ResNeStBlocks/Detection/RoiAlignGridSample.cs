using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection;

/// <summary>
/// RoIAlign with a fixed sampling ratio through libtorch's compiled <c>grid_sample</c>: every sampling point of a roi is
/// one grid point, bilinear with zero padding, and each bin averages its <c>s x s</c> points with <c>avg_pool2d</c>.
/// Autograd flows to the features through both compiled kernels.
/// </summary>
/// <remarks>
/// torchvision's rule for a point (<c>roi_align_kernel.cpp</c>): outside <c>[-1, size]</c> on either axis it is 0,
/// otherwise it is clamped into <c>[0, size - 1]</c> and interpolated. Both parts separate by axis, so each axis clamps
/// its coordinates itself and moves an invalid one far outside the map, where zero padding gives 0 for the whole row or
/// column of points. Coordinates are normalised with <c>align_corners=False</c> (pixel <c>p</c> to <c>(2p + 1) / size - 1</c>),
/// which stays finite and exact for maps one pixel high or wide. The rois are pooled per (level, image) pair, as
/// torchvision's <c>MultiScaleRoIAlign</c> does per level, in chunks that bound the sampled intermediate.
/// </remarks>
internal static class RoiAlignGridSample
{
    /// <summary>Sampled values per chunk of rois: about 8M elements (32 MB in float32).</summary>
    private const long SampleBudget = 1L << 23;

    /// <summary>Pools rois with a fixed sampling ratio; the arguments are <see cref="RoiAlignKernel.Pool"/>'s.</summary>
    public static Tensor Pool(IReadOnlyList<Tensor> levels, Tensor rois, Tensor? levelOfRoi, IReadOnlyList<double> scales,
        int outputHeight, int outputWidth, int samplingRatio, bool aligned)
    {
        long batchSize = levels[0].size(0);
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
            PoolGroup(pooled, levels[only / (int)batchSize].narrow(0, only % batchSize, 1), rois, scales[only / (int)batchSize],
                outputHeight, outputWidth, samplingRatio, aligned);
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
                PoolGroup(pooled, levels[g / (int)batchSize].narrow(0, g % batchSize, 1), rois.index_select(0, members),
                    scales[g / (int)batchSize], outputHeight, outputWidth, samplingRatio, aligned);
            }
        }
        var result = cat(pooled, 0);
        if (order is not null)
            result = result.index_select(0, order.argsort());
        return result.contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Pools the rois of one image from one level, in chunks; appends [n, C, Ph, Pw] views.</summary>
    private static void PoolGroup(List<Tensor> pooled, Tensor feature, Tensor rois, double scale, int outputHeight,
        int outputWidth, int samplingRatio, bool aligned)
    {
        long channels = feature.size(1), height = feature.size(2), width = feature.size(3);
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
        long rows = outputHeight * samplingRatio, columns = outputWidth * samplingRatio;
        var rowGrid = Axis(y1, roiHeight, outputHeight, samplingRatio, height).view(count, rows, 1).expand(count, rows, columns);
        var columnGrid = Axis(x1, roiWidth, outputWidth, samplingRatio, width).view(count, 1, columns).expand(count, rows, columns);
        // The grid depends on the rois alone; torchvision's RoIAlign gives rois no gradient either.
        var grid = stack(new[] { columnGrid, rowGrid }, -1).detach();
        long chunk = Math.Max(1, SampleBudget / Math.Max(1, channels * rows * columns));
        // grid_sample's CPU kernels share out the batch between threads: view the map's channels as one batch entry per
        // thread (a view of one image's contiguous map, so its gradient is a view too) and give each the same grid.
        long parts = Parts(feature);
        var maps = feature.reshape(parts, channels / parts, height, width);
        for (long begin = 0; begin < count; begin += chunk)
        {
            long n = Math.Min(chunk, count - begin);
            var points = grid.narrow(0, begin, n).reshape(1, n * rows, columns, 2).expand(parts, n * rows, columns, 2);
            var samples = nn.functional.grid_sample(maps, points, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, false);
            var bins = nn.functional.avg_pool2d(samples, new long[] { samplingRatio, samplingRatio }, new long[] { samplingRatio, samplingRatio });
            pooled.Add(bins.view(channels, n, outputHeight, outputWidth).permute(1, 0, 2, 3));
        }
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
    /// One axis of every roi's sampling points, <c>start + p * bin + (i + 0.5) * bin / s</c> for output cell p and grid
    /// point i (torchvision's order of operations), clamped into the map and normalised for <c>grid_sample</c>; a point
    /// outside <c>[-1, size]</c> goes to -3, past every pixel.
    /// </summary>
    /// <returns>[K, bins * s] normalised coordinates.</returns>
    private static Tensor Axis(Tensor start, Tensor length, int bins, int samplingRatio, long size)
    {
        var dtype = start.dtype;
        var device = start.device;
        long count = start.size(0);
        using var binCount = ((double)bins).ToScalar();
        using var pointCount = ((double)samplingRatio).ToScalar();
        using Scalar last = (double)(size - 1);
        using Scalar sizeScalar = (double)size;
        using var two = 2.0.ToScalar();
        using var outside = (-3.0).ToScalar();
        var bin = length.div(binCount).view(count, 1, 1);
        var cell = arange(DetectionScalars.Zero, binCount, DetectionScalars.One, dtype, device).view(1, bins, 1);
        var point = arange(DetectionScalars.Zero, pointCount, DetectionScalars.One, dtype, device)
            .add(DetectionScalars.Half, DetectionScalars.One).view(1, 1, samplingRatio);
        var position = start.view(count, 1, 1).add(cell.mul(bin), DetectionScalars.One)
            .add(point.mul(bin).div(pointCount), DetectionScalars.One);
        var valid = position.ge(DetectionScalars.MinusOne).logical_and(position.le(sizeScalar));
        var normalised = position.clamp(DetectionScalars.Zero, last).mul(two).add(DetectionScalars.One, DetectionScalars.One)
            .div(sizeScalar).sub(DetectionScalars.One);
        var far = full(1, outside, dtype, device);
        return normalised.where(valid, far).view(count, bins * samplingRatio);
    }
}
