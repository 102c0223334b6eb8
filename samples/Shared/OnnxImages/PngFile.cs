using System.IO;
using StbImageWriteSharp;

namespace ResNeStBlocks.Samples.OnnxImages;

/// <summary>Writes interleaved 8-bit RGB pixels as a PNG file.</summary>
public static class PngFile
{
    /// <summary>Writes <paramref name="rgb"/> [height, width, 3] to <paramref name="path"/> (replaced if it exists).</summary>
    public static void WriteRgb(string path, byte[] rgb, int height, int width)
    {
        using var stream = File.Create(path);
        new ImageWriter().WritePng(rgb, width, height, ColorComponents.RedGreenBlue, stream);
    }
}
