using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;

namespace ResNeStBlocks.Vision;

/// <summary>
/// An image-classification folder in torchvision's ImageFolder layout: <c>DIR/&lt;class&gt;/**/&lt;image&gt;</c>, classes in
/// ordinal name order, split into training and validation images either by <c>DIR/train</c> and <c>DIR/val</c> folders
/// or by holding out a seeded fraction of each class. Files that do not decode as images are skipped and listed in
/// <see cref="Skipped"/> (each file is checked once while scanning, on all cores, by the caller's decoder: this library
/// references only TorchSharp and leaves decoding images to the caller).
/// </summary>
public sealed class ImageFolder
{
    private ImageFolder(IReadOnlyList<string> classes, IReadOnlyList<LabelledImage> train, IReadOnlyList<LabelledImage> val,
        IReadOnlyList<string> skipped, bool hasValFolder)
    {
        Classes = classes;
        Train = train;
        Val = val;
        Skipped = skipped;
        HasValFolder = hasValFolder;
    }

    /// <summary>Class names (the folder names), in label order.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>Training images.</summary>
    public IReadOnlyList<LabelledImage> Train { get; }

    /// <summary>Validation images.</summary>
    public IReadOnlyList<LabelledImage> Val { get; }

    /// <summary>Files that were left out because their header is not that of a readable image.</summary>
    public IReadOnlyList<string> Skipped { get; }

    /// <summary>Whether the validation images came from a <c>val</c> folder (otherwise from the held-out fraction).</summary>
    public bool HasValFolder { get; }

    /// <summary>Scans <paramref name="directory"/>.</summary>
    /// <param name="directory">The ImageFolder root.</param>
    /// <param name="valFraction">Share of each class held out for validation when there is no <c>val</c> folder.</param>
    /// <param name="seed">Seed of that split.</param>
    /// <param name="isReadableImage">Whether a file decodes as an image of at least one pixel (called on several threads at once).</param>
    /// <returns>The classes and the two splits.</returns>
    /// <exception cref="ArgumentException">The folder is missing, has fewer than two classes, or a class has no readable images.</exception>
    public static ImageFolder Scan(string directory, double valFraction, int seed, Func<string, bool> isReadableImage)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(isReadableImage);
        if (!Directory.Exists(directory))
            throw new ArgumentException($"Data folder not found: {directory}.", nameof(directory));
        var skipped = new List<string>();
        string trainRoot = Path.Combine(directory, "train");
        string valRoot = Path.Combine(directory, "val");
        if (Directory.Exists(trainRoot) && Directory.Exists(valRoot))
        {
            var classes = ClassFolders(trainRoot);
            var train = Images(trainRoot, classes, skipped, isReadableImage);
            var unknown = Subfolders(valRoot).Except(classes, StringComparer.Ordinal).ToList();
            if (unknown.Count > 0)
                throw new ArgumentException(
                    $"{valRoot} has class folder(s) that {trainRoot} lacks: {string.Join(", ", unknown)}. Every validation class needs training images.", nameof(directory));
            var val = Images(valRoot, classes, skipped, isReadableImage, requireEach: false);
            if (val.Count == 0)
                throw new ArgumentException($"{valRoot} holds no readable images.", nameof(directory));
            return new ImageFolder(classes, train, val, skipped, hasValFolder: true);
        }

        var names = ClassFolders(directory);
        var all = Images(directory, names, skipped, isReadableImage);
        var (trainSplit, valSplit) = Split(all, names.Count, valFraction, seed);
        if (valSplit.Count == 0)
            throw new ArgumentException(
                $"No image could be held out for validation: every class has a single image. Add images or a {valRoot} folder.", nameof(directory));
        return new ImageFolder(names, trainSplit, valSplit, skipped, hasValFolder: false);
    }

    private static List<string> Subfolders(string root) =>
        Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>()
            .Where(n => !n.StartsWith('.')).OrderBy(n => n, StringComparer.Ordinal).ToList();

    private static List<string> ClassFolders(string root)
    {
        var classes = Subfolders(root);
        if (classes.Count == 0)
            throw new ArgumentException(
                $"{root} contains no class folders. Expected one sub-folder per class with its images, such as {Path.Combine(root, "cat", "1.jpg")}.", nameof(root));
        if (classes.Count == 1)
            throw new ArgumentException(
                $"{root} contains a single class folder ('{classes[0]}'); classification needs at least two classes.", nameof(root));
        return classes;
    }

    private static List<LabelledImage> Images(string root, IReadOnlyList<string> classes, List<string> skipped, Func<string, bool> isReadableImage, bool requireEach = true)
    {
        var images = new List<LabelledImage>();
        for (int label = 0; label < classes.Count; label++)
        {
            string folder = Path.Combine(root, classes[label]);
            if (!Directory.Exists(folder))
                continue;
            int before = images.Count;
            var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal).ToArray();
            var readable = new bool[files.Length];
            Parallel.For(0, files.Length, i => readable[i] = isReadableImage(files[i]));
            for (int i = 0; i < files.Length; i++)
            {
                if (readable[i])
                    images.Add(new LabelledImage(files[i], label));
                else
                    skipped.Add(files[i]);
            }
            if (requireEach && images.Count == before)
                throw new ArgumentException(
                    $"Class folder {folder} holds no readable images (PNG, JPEG, BMP, GIF or TGA); add images or remove the folder.", nameof(root));
        }
        return images;
    }

    /// <summary>Holds out <c>round(n * fraction)</c> images of each class (at least 1 when the class has 2 or more), chosen by <paramref name="seed"/>.</summary>
    private static (List<LabelledImage> Train, List<LabelledImage> Val) Split(List<LabelledImage> images, int classes, double fraction, int seed)
    {
        var random = new Random(seed);
        var train = new List<LabelledImage>();
        var val = new List<LabelledImage>();
        for (int label = 0; label < classes; label++)
        {
            var members = images.Where(i => i.Label == label).ToArray();
            random.Shuffle(members);
            int held = members.Length < 2 ? 0 : Math.Clamp((int)Math.Round(members.Length * fraction), 1, members.Length - 1);
            val.AddRange(members.Take(held).OrderBy(i => i.Path, StringComparer.Ordinal));
            train.AddRange(members.Skip(held).OrderBy(i => i.Path, StringComparer.Ordinal));
        }
        return (train, val);
    }
}
