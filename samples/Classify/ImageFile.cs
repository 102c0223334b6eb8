using System;
using System.IO;
using StbImageSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.Classify;

/// <summary>Decodes PNG, JPEG, BMP, TGA and GIF files with StbImageSharp.</summary>
public static class ImageFile
{
    /// <summary>The image as an RGB uint8 tensor [height, width, 3] on the CPU, the layout <c>ImagePreprocessor</c> takes.</summary>
    /// <param name="path">The image file.</param>
    /// <returns>The tensor; the caller owns it.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not an image StbImageSharp can decode.</exception>
    public static Tensor LoadRgb(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Image file not found: {path}", path);
        ImageResult image;
        try
        {
            image = ImageResult.FromMemory(File.ReadAllBytes(path), ColorComponents.RedGreenBlue);
        }
        catch (Exception e) // StbImageSharp reports bad data with plain exceptions of several types
        {
            throw new InvalidDataException($"Cannot decode {path} as an image (PNG, JPEG, BMP, TGA or GIF): {e.Message}", e);
        }
        return tensor(image.Data, new long[] { image.Height, image.Width, 3 }, ScalarType.Byte);
    }
}
