using System;
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
        catch (Exception e) when (e is not IOException)
        {
            string reason = string.IsNullOrWhiteSpace(e.Message) ? "not a decodable image" : e.Message.Trim();
            throw new InvalidDataException($"Cannot decode {path}: {reason}. Remove or replace the file.", e);
        }
        return tensor(image.Data, new long[] { image.Height, image.Width, 3 }, ScalarType.Byte);
    }

    /// <summary>Whether StbImageSharp decodes the whole file (a valid header over truncated data fails here, not in training).</summary>
    /// <param name="path">The file.</param>
    /// <returns>True for a decodable image of at least one pixel.</returns>
    public static bool IsReadable(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return ImageResult.FromStream(stream, ColorComponents.RedGreenBlue) is { Width: > 0, Height: > 0 };
        }
        catch (Exception e) when (IsDecodeFailure(e))
        {
            return false;
        }
    }

    /// <summary>The size in an image file's header, or null when the header is not that of a readable image.</summary>
    /// <param name="path">The file.</param>
    /// <returns>Columns and rows, or null.</returns>
    public static (int Width, int Height)? HeaderSize(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return ImageInfo.FromStream(stream) is { Width: > 0, Height: > 0 } info ? (info.Width, info.Height) : null;
        }
        catch (Exception e) when (IsDecodeFailure(e))
        {
            return null;
        }
    }

    /// <summary>The exceptions StbImageSharp and the file system throw for a file that is not a readable image.</summary>
    private static bool IsDecodeFailure(Exception e) =>
        e is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException
            or IndexOutOfRangeException or NullReferenceException or OverflowException;
}
