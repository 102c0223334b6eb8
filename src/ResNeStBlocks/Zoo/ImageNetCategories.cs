using System;
using System.Collections.Generic;
using System.IO;

namespace ResNeStBlocks.Zoo;

/// <summary>
/// The 1000 ImageNet-1k classes in class-index order, as torchvision's weights' <c>meta["categories"]</c> names them
/// (<c>tench</c>, <c>goldfish</c>, ...): the order every <c>in1k</c> classifier of timm predicts in.
/// </summary>
internal static class ImageNetCategories
{
    private const string ResourceName = "ResNeStBlocks.Zoo.ImageNetCategories.txt";
    private static readonly Lazy<IReadOnlyList<string>> Loaded = new(Load);

    /// <summary>The names, read once from the library's embedded copy.</summary>
    public static IReadOnlyList<string> Names => Loaded.Value;

    private static IReadOnlyList<string> Load()
    {
        using var stream = typeof(ImageNetCategories).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The library's embedded {ResourceName} is missing; the package is damaged.");
        using var reader = new StreamReader(stream);
        var names = new List<string>(1000);
        while (reader.ReadLine() is { } line)
            if (line.Length > 0)
                names.Add(line);
        return names.Count == 1000 ? names : throw new InvalidOperationException($"The library's embedded {ResourceName} holds {names.Count} names, not 1000; the package is damaged.");
    }
}
