using System;
using ResNeStBlocks.Samples.OnnxImages;

namespace ResNeStBlocks.Samples.OnnxSegment;

/// <summary>Pictures of a segmentation: the image with each class's colour blended in, and the bare mask in the colours.</summary>
public static class SegmentationOverlay
{
    /// <summary>
    /// The image with every pixel of a class other than background (class 0) blended with the class's VOC colour:
    /// <c>round(pixel + alpha * (colour - pixel))</c> per channel, halves to even. Background and unseen pixels keep
    /// the image's colours.
    /// </summary>
    /// <param name="rgb">The image, interleaved 8-bit RGB [Height, Width, 3], the mask's size.</param>
    /// <param name="mask">The classes.</param>
    /// <param name="alpha">The colour's weight, in [0, 1].</param>
    /// <returns>The overlay, interleaved RGB.</returns>
    /// <exception cref="ArgumentException">The image is not the mask's size, or alpha is out of range.</exception>
    public static byte[] Blend(byte[] rgb, SegmentationMask mask, double alpha)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        ArgumentNullException.ThrowIfNull(mask);
        if (rgb.Length != mask.Classes.Length * 3)
            throw new ArgumentException($"The image has {rgb.Length / 3} pixels and the mask {mask.Classes.Length}; they must be the same size.", nameof(rgb));
        if (!(alpha >= 0 && alpha <= 1))
            throw new ArgumentException($"alpha must be in [0, 1], got {alpha}.", nameof(alpha));
        var output = (byte[])rgb.Clone();
        for (int i = 0; i < mask.Classes.Length; i++)
        {
            byte c = mask.Classes[i];
            if (c == 0 || c == SegmentationMask.Unseen)
                continue;
            var (red, green, blue) = VocPalette.Colour(c);
            output[3 * i] = Mix(rgb[3 * i], red, alpha);
            output[3 * i + 1] = Mix(rgb[3 * i + 1], green, alpha);
            output[3 * i + 2] = Mix(rgb[3 * i + 2], blue, alpha);
        }
        return output;
    }

    /// <summary>The bare mask: every pixel in its class's VOC colour (background black, unseen pixels in VOC's "void" colour, class 255).</summary>
    /// <param name="mask">The classes.</param>
    /// <returns>Interleaved RGB [Height, Width, 3].</returns>
    public static byte[] Colours(SegmentationMask mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        var output = new byte[mask.Classes.Length * 3];
        for (int i = 0; i < mask.Classes.Length; i++)
        {
            var (red, green, blue) = VocPalette.Colour(mask.Classes[i]);
            output[3 * i] = red;
            output[3 * i + 1] = green;
            output[3 * i + 2] = blue;
        }
        return output;
    }

    private static byte Mix(byte pixel, byte colour, double alpha) =>
        (byte)Math.Round(pixel + alpha * (colour - pixel), MidpointRounding.ToEven);
}
