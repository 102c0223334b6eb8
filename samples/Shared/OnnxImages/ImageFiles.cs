using System;
using System.IO;
using StbImageSharp;

namespace ResNeStBlocks.Samples.OnnxImages;

/// <summary>Reads image files as the ONNX samples need them: interleaved 8-bit RGB.</summary>
public static class ImageFiles
{
    /// <summary>Decodes an image file (PNG, JPEG, BMP, TGA, GIF) to interleaved RGB bytes; grey and RGBA images become RGB.</summary>
    /// <param name="path">The image file.</param>
    /// <returns>The pixels [height, width, 3] with their size.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file cannot be decoded.</exception>
    public static ImageResult Decode(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Image file not found: {path}", path);
        try
        {
            return ImageResult.FromMemory(File.ReadAllBytes(path), ColorComponents.RedGreenBlue);
        }
        catch (Exception e) // StbImageSharp reports bad data with plain exceptions of several types
        {
            throw new InvalidDataException($"Cannot decode {path} as an image: {e.Message}", e);
        }
    }
}
