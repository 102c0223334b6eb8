using ResNeStBlocks.Samples.Data;
using ResNeStBlocks.Vision;

namespace ResNeStBlocks.Samples.FineTune;

/// <summary>Opens an image folder with the library's <see cref="ImageFolder"/>, decoding images with StbImageSharp.</summary>
public static class ImageFiles
{
    /// <summary>Scans <paramref name="directory"/> (see <see cref="ImageFolder.Scan"/>); files that do not decode are skipped.</summary>
    /// <param name="directory">The ImageFolder root.</param>
    /// <param name="valFraction">Share of each class held out for validation when there is no <c>val</c> folder.</param>
    /// <param name="seed">Seed of that split.</param>
    /// <returns>The classes and the two splits.</returns>
    /// <exception cref="System.ArgumentException">The folder is missing, has fewer than two classes, or a class has no readable images.</exception>
    public static ImageFolder Scan(string directory, double valFraction, int seed) =>
        ImageFolder.Scan(directory, valFraction, seed, DecodedImage.IsReadable);
}
