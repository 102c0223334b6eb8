using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection;

/// <summary>
/// Anchors for a set of feature maps (torchvision's <c>AnchorGenerator</c>): per level, one base anchor per size and
/// aspect ratio (height / width), centred on 0 and rounded as torchvision rounds them, repeated at every cell of the
/// level's grid with the level's stride (the padded image's size divided by the map's size, rounded down).
/// </summary>
public sealed class AnchorGenerator
{
    private readonly double[][] sizes;
    private readonly double[][] aspectRatios;
    private readonly float[][] cellAnchors;

    /// <summary>Creates the generator.</summary>
    /// <param name="sizes">Per level, the anchor sizes (square side before the aspect ratio), e.g. {32}, {64}, ... for
    /// Faster R-CNN's FPN.</param>
    /// <param name="aspectRatios">Per level, the aspect ratios (height / width), e.g. {0.5, 1, 2}; one list is used for
    /// every level when only one is given.</param>
    public AnchorGenerator(IReadOnlyList<IReadOnlyList<double>> sizes, IReadOnlyList<IReadOnlyList<double>> aspectRatios)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        ArgumentNullException.ThrowIfNull(aspectRatios);
        if (sizes.Count == 0 || sizes.Any(s => s is null || s.Count == 0))
            throw new ArgumentException("sizes must hold at least one size for each level.", nameof(sizes));
        if (aspectRatios.Count == 1 && sizes.Count > 1)
            aspectRatios = Enumerable.Repeat(aspectRatios[0], sizes.Count).ToList();
        if (aspectRatios.Count != sizes.Count || aspectRatios.Any(r => r is null || r.Count == 0))
            throw new ArgumentException(
                $"aspectRatios must hold one non-empty list per level ({sizes.Count} levels), or one list for all, got {aspectRatios.Count}.",
                nameof(aspectRatios));
        if (sizes.Any(s => s.Any(v => !(v > 0) || double.IsInfinity(v))))
            throw new ArgumentException("Every anchor size must be a positive number.", nameof(sizes));
        if (aspectRatios.Any(r => r.Any(v => !(v > 0) || double.IsInfinity(v))))
            throw new ArgumentException("Every aspect ratio must be a positive number.", nameof(aspectRatios));
        this.sizes = sizes.Select(s => s.ToArray()).ToArray();
        this.aspectRatios = aspectRatios.Select(r => r.ToArray()).ToArray();
        cellAnchors = this.sizes.Zip(this.aspectRatios, BaseAnchors).ToArray();
    }

    /// <summary>The number of levels.</summary>
    public int Levels => sizes.Length;

    /// <summary>Anchors per grid cell of each level (sizes times aspect ratios).</summary>
    public IReadOnlyList<int> NumAnchorsPerLocation => sizes.Zip(aspectRatios, (s, r) => s.Length * r.Length).ToArray();

    /// <summary>
    /// The base anchors of one level, [sizes * ratios, 4] centred on 0, ratios outer and sizes inner, in float32 as
    /// torchvision builds them (<c>generate_anchors</c>: <c>round(stack(-w, -h, w, h) / 2)</c>, half to even).
    /// </summary>
    /// <param name="level">The level.</param>
    /// <param name="dtype">The dtype wanted (torchvision converts the float32 anchors to the features' dtype).</param>
    /// <param name="device">The device wanted.</param>
    /// <returns>The base anchors.</returns>
    public Tensor CellAnchors(int level, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        if (level < 0 || level >= Levels)
            throw new ArgumentOutOfRangeException(nameof(level), level, $"level must be in [0, {Levels}).");
        return tensor(cellAnchors[level], new long[] { cellAnchors[level].Length / 4, 4 }, ScalarType.Float32)
            .to(dtype, device ?? CPU);
    }

    /// <summary>
    /// Every anchor of every level, level after level, cell by cell (row-major), base anchor by base anchor
    /// (torchvision's order). Every image of a padded batch gets these same anchors.
    /// </summary>
    /// <param name="featureMaps">One [B, C, H, W] map per level; their dtype and device are the anchors'.</param>
    /// <param name="imageHeight">The padded batch's height.</param>
    /// <param name="imageWidth">The padded batch's width.</param>
    /// <returns>[sum over levels of H * W * anchors per location, 4] anchors (x1, y1, x2, y2).</returns>
    public Tensor Generate(IReadOnlyList<Tensor> featureMaps, long imageHeight, long imageWidth)
    {
        ArgumentNullException.ThrowIfNull(featureMaps);
        if (featureMaps.Count != Levels)
            throw new ArgumentException(
                $"Got {featureMaps.Count} feature maps for {Levels} levels of sizes and aspect ratios; give one map per level.",
                nameof(featureMaps));
        if (imageHeight < 1 || imageWidth < 1)
            throw new ArgumentOutOfRangeException(nameof(imageHeight), $"The image size must be positive, got {imageHeight} x {imageWidth}.");
        for (int i = 0; i < featureMaps.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(featureMaps[i], nameof(featureMaps));
            if (featureMaps[i].dim() < 2)
                throw new ArgumentException($"featureMaps[{i}] must end in (height, width), got {BoxChecks.Shape(featureMaps[i])}.", nameof(featureMaps));
        }
        var dtype = featureMaps[0].dtype;
        var device = featureMaps[0].device;
        using var scope = NewDisposeScope();
        var levels = new List<Tensor>();
        for (int level = 0; level < Levels; level++)
        {
            long height = featureMaps[level].size(-2);
            long width = featureMaps[level].size(-1);
            using var strideY = (imageHeight / height).ToScalar();
            using var strideX = (imageWidth / width).ToScalar();
            using var rows = height.ToScalar();
            using var columns = width.ToScalar();
            var shiftsX = arange(DetectionScalars.ZeroLong, columns, DetectionScalars.OneLong, ScalarType.Int32, device).mul(strideX);
            var shiftsY = arange(DetectionScalars.ZeroLong, rows, DetectionScalars.OneLong, ScalarType.Int32, device).mul(strideY);
            var grid = meshgrid(new[] { shiftsY, shiftsX }, indexing: "ij");
            var shiftY = grid[0].reshape(-1);
            var shiftX = grid[1].reshape(-1);
            var shifts = stack(new[] { shiftX, shiftY, shiftX, shiftY }, 1).to(dtype);
            var cells = CellAnchors(level, dtype, device);
            levels.Add(shifts.view(-1, 1, 4).add(cells.view(1, -1, 4), DetectionScalars.One).reshape(-1, 4));
        }
        return cat(levels, 0).MoveToOuterDisposeScope();
    }

    private static float[] BaseAnchors(double[] scales, double[] ratios)
    {
        using var scope = NewDisposeScope();
        var scale = tensor(scales, ScalarType.Float64).to(ScalarType.Float32);
        var ratio = tensor(ratios, ScalarType.Float64).to(ScalarType.Float32);
        var heightRatio = ratio.sqrt();
        var widthRatio = heightRatio.reciprocal();
        var w = widthRatio[.., TensorIndex.None].mul(scale[TensorIndex.None, ..]).view(-1);
        var h = heightRatio[.., TensorIndex.None].mul(scale[TensorIndex.None, ..]).view(-1);
        using var two = 2.0.ToScalar();
        return stack(new[] { w.neg(), h.neg(), w, h }, 1).div(two).round().data<float>().ToArray();
    }
}
