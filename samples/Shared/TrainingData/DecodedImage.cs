using System.IO;
using StbImageSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.Data;

/// <summary>Decodes image files to 8-bit RGB, whatever their channels (grey, grey + alpha, RGB, RGBA).</summary>
public static class DecodedImage
{
    /// <summary>Decodes <paramref name="path"/> into an RGB uint8 tensor <c>[height, width, 3]</c> on the CPU; alpha is dropped.</summary>
    /// <param name="path">An image file.</param>
    /// <returns>The pixels; the caller owns the tensor.</returns>
    /// <exception cref="InvalidDataException">The file cannot be decoded.</exception>
    public static Tensor LoadRgb(string path)
    {
        ImageResult image;
        try
        {
            image = ImageResult.FromMemory(File.ReadAllBytes(path), ColorComponents.RedGreenBlue);
        }
        catch (System.Exception e) when (e is not IOException)
        {
            string reason = string.IsNullOrWhiteSpace(e.Message) ? "not a decodable image" : e.Message.Trim();
            throw new InvalidDataException($"Cannot decode {path}: {reason}. Remove or replace the file.", e);
        }
        return tensor(image.Data, new long[] { image.Height, image.Width, 3 }, ScalarType.Byte);
    }
}
