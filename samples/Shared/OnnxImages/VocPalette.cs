using System;
using System.Collections.Generic;

namespace ResNeStBlocks.Samples.OnnxImages;

/// <summary>
/// The Pascal VOC colour map (class <c>i</c>'s colour spreads the bits of <c>i</c> over the high bits of red, green and
/// blue: 1 is dark red, 2 dark green, 15 "person" pink, 255 VOC's "void" cream for ignored pixels) and VOC's class names,
/// in the order of torchvision's segmentation weights (background first). The one palette of the segmentation samples.
/// </summary>
public static class VocPalette
{
    /// <summary>Background and the 20 VOC classes, as torchvision's COCO_WITH_VOC_LABELS weights order them.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = new[]
    {
        "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
        "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
    };

    /// <summary>The colour of class <paramref name="classIndex"/> (0 to 255).</summary>
    /// <param name="classIndex">The class.</param>
    /// <returns>Red, green and blue.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The index is not in 0..255.</exception>
    public static (byte Red, byte Green, byte Blue) Colour(int classIndex)
    {
        if (classIndex is < 0 or > 255)
            throw new ArgumentOutOfRangeException(nameof(classIndex), classIndex, "The VOC colour map has colours for classes 0 to 255.");
        int red = 0, green = 0, blue = 0;
        for (int bit = 7, c = classIndex; c > 0; bit--, c >>= 3)
        {
            red |= (c & 1) << bit;
            green |= ((c >> 1) & 1) << bit;
            blue |= ((c >> 2) & 1) << bit;
        }
        return ((byte)red, (byte)green, (byte)blue);
    }

    /// <summary>All 256 colours, index to colour, for a palette PNG.</summary>
    /// <returns>The colour map.</returns>
    public static IReadOnlyList<(byte Red, byte Green, byte Blue)> All()
    {
        var colours = new (byte, byte, byte)[256];
        for (int i = 0; i < colours.Length; i++)
            colours[i] = Colour(i);
        return colours;
    }

    /// <summary>A readable name for class <paramref name="classIndex"/> of a model with <paramref name="numClasses"/> classes: VOC's for 21, else "class N".</summary>
    public static string Name(int classIndex, int numClasses) =>
        numClasses == ClassNames.Count && classIndex < ClassNames.Count ? ClassNames[classIndex] : $"class {classIndex}";
}
