using System;
using System.Collections.Generic;
using System.Linq;

namespace ResNeStBlocks.Samples.OnnxSegment;

/// <summary>The class of every pixel of an image, row-major; <see cref="Unseen"/> where the model did not see the pixel (outside a crop).</summary>
/// <param name="Classes">One class index per pixel, [Height, Width] row-major.</param>
/// <param name="Height">Image height.</param>
/// <param name="Width">Image width.</param>
/// <param name="NumClasses">The model's class count.</param>
public sealed record SegmentationMask(byte[] Classes, int Height, int Width, int NumClasses)
{
    /// <summary>The value of a pixel the model did not see.</summary>
    public const byte Unseen = 255;

    /// <summary>Each class present with its share of the image's pixels, largest first.</summary>
    public IReadOnlyList<(int ClassIndex, double Share)> Shares()
    {
        var counts = new long[256];
        foreach (byte c in Classes)
            counts[c]++;
        return Enumerable.Range(0, NumClasses).Where(c => counts[c] > 0)
            .Select(c => (c, counts[c] / (double)Classes.Length)).OrderByDescending(s => s.Item2).ThenBy(s => s.c).ToList();
    }
}
