using System.IO;
using StbImageSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Testing;

/// <summary>Decodes image files (PNG, JPEG, ...) with StbImageSharp into tensors.</summary>
public static class PngImage
{
    /// <summary>The image as an RGB uint8 tensor [height, width, 3] on the CPU.</summary>
    public static Tensor LoadRgb(string path)
    {
        var image = ImageResult.FromMemory(File.ReadAllBytes(path), ColorComponents.RedGreenBlue);
        return tensor(image.Data, new long[] { image.Height, image.Width, 3 }, ScalarType.Byte);
    }
}
