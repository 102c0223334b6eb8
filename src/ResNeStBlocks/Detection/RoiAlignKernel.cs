using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection;

/// <summary>
/// RoIAlign as tensor operations, over one or several feature maps at once. Each roi's samples are torchvision's
/// (<c>roi_align_kernel.cpp</c>): a grid of sampling points per output bin, bilinear interpolation with its border rules
/// (a point above -1 or beyond the map's size is 0; otherwise it is clamped into the map, and a point on the last row or
/// column takes that row or column alone), the bin's average over the whole grid.
/// </summary>
/// <remarks>
/// Bilinear weights separate into a row part and a column part, and so does the validity of a point, so the rows and
/// columns of every sample are computed once per axis; the four neighbours of all samples of a chunk of rois are then
/// gathered from channels-last features in one <c>index_select</c> and reduced by one batched matrix product. Autograd
/// flows to the features through both. This path serves adaptive sampling (ratio &lt;= 0: <c>ceil(roi size / output
/// size)</c> points per bin for each roi): it reads the grid sizes back once, sorts the rois by grid area and pads each
/// chunk's grids to the chunk's largest with zero weights. A fixed ratio, the detectors' case, goes to
/// <see cref="RoiAlignGridSample"/>, whose compiled kernels are faster.
/// </remarks>
internal static class RoiAlignKernel
{
    /// <summary>Gathered values per chunk of rois: about 8M elements (32 MB in float32).</summary>
    private const long GatherBudget = 1L << 23;

    /// <param name="levels">Feature maps [B, C, H_l, W_l], one dtype and device.</param>
    /// <param name="rois">[K, 5] rois: batch index, x1, y1, x2, y2 in image coordinates.</param>
    /// <param name="levelOfRoi">[K] int64 level of each roi, or null for level 0.</param>
    /// <param name="scales">The spatial scale of each level.</param>
    /// <param name="outputHeight">Bins per roi, vertically.</param>
    /// <param name="outputWidth">Bins per roi, horizontally.</param>
    /// <param name="samplingRatio">Points per bin and axis; 0 or less: <c>ceil(roi size / bins)</c> per roi.</param>
    /// <param name="aligned">Shift coordinates by half a pixel (torchvision's <c>aligned=True</c>).</param>
    public static Tensor Pool(IReadOnlyList<Tensor> levels, Tensor rois, Tensor? levelOfRoi, IReadOnlyList<double> scales,
        int outputHeight, int outputWidth, int samplingRatio, bool aligned)
    {
        var first = levels[0];
        long channels = first.size(1);
        var dtype = first.dtype;
        var device = first.device;
        long count = rois.size(0);
        if (count == 0)
            return zeros(new long[] { 0, channels, outputHeight, outputWidth }, dtype, device);
        if (samplingRatio > 0)
            return RoiAlignGridSample.Pool(levels, rois, levelOfRoi, scales, outputHeight, outputWidth, samplingRatio, aligned);
        using var scope = NewDisposeScope();

        var heights = levels.Select(l => l.size(2)).ToArray();
        var widths = levels.Select(l => l.size(3)).ToArray();
        var starts = new long[levels.Count];
        for (int l = 1; l < levels.Count; l++)
            starts[l] = starts[l - 1] + levels[l - 1].size(0) * heights[l - 1] * widths[l - 1];
        var flat = cat(levels.Select(l => l.permute(0, 2, 3, 1).reshape(-1, channels)).ToList(), 0);

        var level = levelOfRoi ?? zeros(count, ScalarType.Int64, device);
        var height = tensor(heights, ScalarType.Int64).to(device).index_select(0, level);
        var width = tensor(widths, ScalarType.Int64).to(device).index_select(0, level);
        var scale = tensor(scales.ToArray(), ScalarType.Float64).to(dtype).to(device).index_select(0, level);
        var batch = rois[.., 0].to(ScalarType.Int64);
        var imageStart = tensor(starts, ScalarType.Int64).to(device).index_select(0, level)
            .add(batch.mul(height).mul(width), DetectionScalars.OneLong);

        using var offset = (aligned ? 0.5 : 0.0).ToScalar();
        var x1 = rois[.., 1].mul(scale).sub(offset);
        var y1 = rois[.., 2].mul(scale).sub(offset);
        var roiWidth = rois[.., 3].mul(scale).sub(offset).sub(x1);
        var roiHeight = rois[.., 4].mul(scale).sub(offset).sub(y1);
        if (!aligned)
        {
            // torchvision's legacy rule: rois are at least one pixel wide and high.
            roiWidth = roiWidth.clamp_min(DetectionScalars.One);
            roiHeight = roiHeight.clamp_min(DetectionScalars.One);
        }
        using var heightBins = ((double)outputHeight).ToScalar();
        using var widthBins = ((double)outputWidth).ToScalar();
        var rowGrid = roiHeight.div(heightBins).ceil().to(ScalarType.Int64);
        var columnGrid = roiWidth.div(widthBins).ceil().to(ScalarType.Int64);
        var samples = rowGrid.mul(columnGrid).clamp_min(DetectionScalars.OneLong).to(dtype);
        var plan = Plan(rowGrid, columnGrid, outputHeight * outputWidth * 4 * channels, device);

        var pooled = new List<Tensor>();
        foreach (var (members, rowPoints, columnPoints) in plan.Chunks)
        {
            long n = members.size(0);
            var rows = Axis(y1.index_select(0, members), roiHeight.index_select(0, members), outputHeight,
                rowGrid.index_select(0, members), rowPoints, height.index_select(0, members));
            var columns = Axis(x1.index_select(0, members), roiWidth.index_select(0, members), outputWidth,
                columnGrid.index_select(0, members), columnPoints, width.index_select(0, members));
            long neighbours = rowPoints * 2 * columnPoints * 2;
            // [n, Ph, 1, Gh, 2, 1, 1] and [n, 1, Pw, 1, 1, Gw, 2]: outer products give every neighbour of every sample.
            var rowIndex = rows.Index.view(n, outputHeight, 1, rowPoints, 2, 1, 1);
            var rowWeight = rows.Weight.view(n, outputHeight, 1, rowPoints, 2, 1, 1);
            var columnIndex = columns.Index.view(n, 1, outputWidth, 1, 1, columnPoints, 2);
            var columnWeight = columns.Weight.view(n, 1, outputWidth, 1, 1, columnPoints, 2);
            var index = rowIndex.mul(width.index_select(0, members).view(n, 1, 1, 1, 1, 1, 1)).add(columnIndex, DetectionScalars.OneLong)
                .add(imageStart.index_select(0, members).view(n, 1, 1, 1, 1, 1, 1), DetectionScalars.OneLong);
            var weight = rowWeight.mul(columnWeight).reshape(n * outputHeight * outputWidth, 1, neighbours);
            var values = flat.index_select(0, index.reshape(-1)).view(n * outputHeight * outputWidth, neighbours, channels);
            var sums = weight.bmm(values).view(n, outputHeight, outputWidth, channels).permute(0, 3, 1, 2);
            pooled.Add(sums.div(samples.index_select(0, members).view(n, 1, 1, 1)));
        }
        var result = cat(pooled, 0);
        result = result.index_select(0, plan.InverseOrder);
        return result.contiguous().MoveToOuterDisposeScope();
    }

    private sealed record ChunkPlan(List<(Tensor Members, long RowPoints, long ColumnPoints)> Chunks, Tensor InverseOrder);

    /// <summary>
    /// Splits the rois into chunks whose gathered values stay within <see cref="GatherBudget"/>: the grid sizes are read
    /// back once and the rois sorted by grid area, so that each chunk pads to its own largest grid rather than the
    /// largest of all.
    /// </summary>
    private static ChunkPlan Plan(Tensor rowGrid, Tensor columnGrid, long perPoint, Device device)
    {
        long count = rowGrid.size(0);
        var chunks = new List<(Tensor, long, long)>();
        var grids = stack(new[] { rowGrid, columnGrid }, 1).clamp_min(DetectionScalars.OneLong).cpu();
        var sizes = grids.data<long>().ToArray();
        var order = Enumerable.Range(0, (int)count).OrderBy(i => sizes[2 * i] * sizes[2 * i + 1]).ToArray();
        var sortedMembers = new List<long>();
        long rowMax = 1, columnMax = 1;
        void Flush()
        {
            if (sortedMembers.Count == 0)
                return;
            chunks.Add((tensor(sortedMembers.ToArray(), ScalarType.Int64).to(device), rowMax, columnMax));
            sortedMembers.Clear();
            rowMax = columnMax = 1;
        }
        foreach (int i in order)
        {
            long nextRows = Math.Max(rowMax, sizes[2 * i]);
            long nextColumns = Math.Max(columnMax, sizes[2 * i + 1]);
            if (sortedMembers.Count > 0 && (sortedMembers.Count + 1) * perPoint * nextRows * nextColumns > GatherBudget)
            {
                Flush();
                nextRows = sizes[2 * i];
                nextColumns = sizes[2 * i + 1];
            }
            sortedMembers.Add(i);
            rowMax = nextRows;
            columnMax = nextColumns;
        }
        Flush();
        var inverse = new long[count];
        for (int position = 0; position < order.Length; position++)
            inverse[order[position]] = position;
        return new ChunkPlan(chunks, tensor(inverse, ScalarType.Int64).to(device));
    }

    /// <summary>One axis of every roi's sampling grid: the two neighbouring rows (or columns) of each point and their weights.</summary>
    private sealed record AxisSamples(Tensor Index, Tensor Weight);

    /// <summary>
    /// Points <c>start + p * bin + (i + 0.5) * bin / grid</c> for output cell p and grid point i (torchvision's order of
    /// operations), their neighbours <c>[low, high]</c> and weights <c>[1 - frac, frac]</c>, zero for points outside
    /// the grid of their roi or beyond the border.
    /// </summary>
    /// <returns>Index [K, P, G, 2] int64 and Weight [K, P, G, 2], for G = <paramref name="points"/> grid points.</returns>
    private static AxisSamples Axis(Tensor start, Tensor length, int bins, Tensor grid, long points, Tensor size)
    {
        var dtype = start.dtype;
        var device = start.device;
        long count = start.size(0);
        using var binCount = ((double)bins).ToScalar();
        var bin = length.div(binCount);
        using var end = ((double)points).ToScalar();
        using var binEnd = ((double)bins).ToScalar();
        var cell = arange(DetectionScalars.Zero, binEnd, DetectionScalars.One, dtype, device).view(1, bins, 1);
        var point = arange(DetectionScalars.Zero, end, DetectionScalars.One, dtype, device).add(DetectionScalars.Half, DetectionScalars.One).view(1, 1, points);
        var bin3 = bin.view(count, 1, 1);
        var position = start.view(count, 1, 1).add(cell.mul(bin3), DetectionScalars.One)
            .add(point.mul(bin3).div(grid.to(dtype).view(count, 1, 1)), DetectionScalars.One);

        var sizeF = size.to(dtype).view(count, 1, 1);
        var inGrid = arange(DetectionScalars.Zero, end, DetectionScalars.One, ScalarType.Int64, device).view(1, 1, points).lt(grid.view(count, 1, 1));
        var outside = position.lt(DetectionScalars.MinusOne).logical_or(position.gt(sizeF));
        var valid = inGrid.logical_and(outside.logical_not()).expand(count, bins, points);
        var zero = zeros_like(position);
        var clamped = position.where(valid, zero).clamp_min(DetectionScalars.Zero);

        var last = size.sub(DetectionScalars.OneLong).view(count, 1, 1).expand(count, bins, points);
        var low = clamped.floor().to(ScalarType.Int64);
        var atEnd = low.ge(last);
        low = last.where(atEnd, low);
        var high = last.where(atEnd, low.add(DetectionScalars.OneLong, DetectionScalars.OneLong));
        var fraction = low.to(dtype).where(atEnd, clamped).sub(low.to(dtype));
        var weightHigh = fraction.where(valid, zero);
        var weightLow = ones_like(fraction).sub(fraction).where(valid, zero);
        return new AxisSamples(stack(new[] { low, high }, -1), stack(new[] { weightLow, weightHigh }, -1));
    }
}
