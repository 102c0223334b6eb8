using System;
using System.Collections.Generic;
using System.Linq;

namespace ResNeStBlocks.Evaluation;

/// <summary>
/// A ground truth's <c>segmentation</c>: polygons (<c>[[x0, y0, x1, y1, ...], ...]</c>) or a run-length mask (COCO's
/// compressed string or uncompressed counts, with its own <c>size</c>).
/// </summary>
public sealed class CocoSegmentation
{
    private CocoSegmentation(IReadOnlyList<IReadOnlyList<double>>? polygons, RunLengthMask? mask)
    {
        Polygons = polygons;
        Mask = mask;
    }

    /// <summary>The polygons, or null for a run-length mask.</summary>
    public IReadOnlyList<IReadOnlyList<double>>? Polygons { get; }

    /// <summary>The run-length mask, or null for polygons.</summary>
    public RunLengthMask? Mask { get; }

    /// <summary>A segmentation of polygons, each <c>[x0, y0, x1, y1, ...]</c>.</summary>
    public static CocoSegmentation FromPolygons(IEnumerable<IReadOnlyList<double>> polygons)
    {
        ArgumentNullException.ThrowIfNull(polygons);
        var list = polygons.Select(p => (IReadOnlyList<double>)Array.AsReadOnly(p.ToArray())).ToArray();
        if (list.Length == 0)
            throw new ArgumentException("A polygon segmentation needs at least one polygon, got none.", nameof(polygons));
        return new CocoSegmentation(Array.AsReadOnly(list), null);
    }

    /// <summary>A segmentation given as a run-length mask.</summary>
    public static CocoSegmentation FromMask(RunLengthMask mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        return new CocoSegmentation(null, mask);
    }

    /// <summary>
    /// The mask pycocotools' <c>annToRLE</c> gives on an image of the given size: polygons rasterised one by one
    /// (<c>frPyObjects</c>) and united (<c>merge</c>); a run-length mask as it is. As in <c>frPyObjects</c>, when the
    /// first polygon has exactly 4 numbers every entry is read as a box <c>[x, y, w, h]</c>.
    /// </summary>
    public RunLengthMask ToMask(int imageHeight, int imageWidth)
    {
        if (Mask is not null)
            return Mask;
        var polygons = Polygons!;
        bool boxes = polygons[0].Count == 4;
        var parts = new RunLengthMask[polygons.Count];
        for (int i = 0; i < parts.Length; i++)
        {
            var p = polygons[i];
            parts[i] = boxes
                ? RunLengthMask.FromBox(new CocoBox(p[0], p[1], p[2], p[3]), imageHeight, imageWidth)
                : RunLengthMask.FromPolygon(p, imageHeight, imageWidth);
        }
        return RunLengthMask.Merge(parts);
    }
}
