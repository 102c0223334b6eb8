using System;
using System.IO;
using ResNeStBlocks.Samples.Data;
using ResNeStBlocks.Vision;

namespace ResNeStBlocks.Samples.Segment;

/// <summary>
/// Opens a data folder with the library's <see cref="SegmentationFolder"/>, decoding masks with <see cref="MaskPng"/>
/// (palette or greyscale PNG) and image headers with StbImageSharp.
/// </summary>
public static class SegmentData
{
    /// <summary>Scans and checks <paramref name="directory"/> (see <see cref="SegmentationFolder.Scan"/>).</summary>
    /// <param name="directory">The data folder.</param>
    /// <param name="valFraction">Share of the pairs held out for validation when there is no <c>val</c> folder.</param>
    /// <param name="seed">Seed of that split.</param>
    /// <returns>The classes and the two splits.</returns>
    /// <exception cref="InvalidDataException">The folder or a file in it is unusable; the message names it and the fix.</exception>
    public static SegmentationFolder Scan(string directory, double valFraction, int seed) =>
        SegmentationFolder.Scan(directory, valFraction, seed, Inspect);

    /// <summary>Reads a pair's mask and image header: the mask must decode and have its image's size.</summary>
    /// <param name="pair">The image and its mask.</param>
    /// <returns>The largest class index in the mask other than the ignore index, or -1.</returns>
    /// <exception cref="InvalidDataException">The mask or image does not decode, or their sizes differ.</exception>
    public static int Inspect(SegmentationPair pair)
    {
        ArgumentNullException.ThrowIfNull(pair);
        ClassMask mask;
        try
        {
            mask = MaskPng.Read(pair.Mask);
        }
        catch (IOException e)
        {
            throw new InvalidDataException($"Cannot read mask {pair.Mask}: {e.Message}", e);
        }
        var size = DecodedImage.HeaderSize(pair.Image) ?? throw new InvalidDataException($"Cannot decode {pair.Image}: not a readable image. Remove or replace the file and its mask.");
        if (size != (mask.Width, mask.Height))
            throw new InvalidDataException($"Mask {pair.Mask} is {mask.Width}x{mask.Height} but its image {pair.Image} is {size.Width}x{size.Height}; a mask must have its image's size.");
        int max = -1;
        foreach (byte value in mask.Indices)
        {
            if (value != SegmentationFolder.IgnoreIndex && value > max)
                max = value;
        }
        return max;
    }
}
