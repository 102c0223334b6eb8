using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;

namespace ResNeStBlocks.Vision;

/// <summary>
/// A segmentation data folder: <c>DIR/images/*</c> with <c>DIR/masks/*.png</c> of the same base names (or
/// <c>DIR/train/{images,masks}</c> and <c>DIR/val/{images,masks}</c>), class names from <c>DIR/classes.txt</c> (one per
/// line, line <c>i</c> naming index <c>i</c>) or else the indices themselves. Every pair is checked while scanning, so
/// a bad file fails at once with one line naming it, never midway through training: the folder's own checks (images
/// without masks, duplicate base names, class indices beyond <c>classes.txt</c>) here, the pixel checks (a mask that
/// does not decode or has another size than its image) by the <see cref="SegmentationPairInspector"/> the caller
/// passes, since decoding images is left to the caller (this library references only TorchSharp).
/// </summary>
public sealed class SegmentationFolder
{
    /// <summary>The mask value of pixels that count for nothing (Pascal VOC's object borders and unlabelled areas).</summary>
    public const byte IgnoreIndex = 255;

    /// <summary>The file of class names.</summary>
    public const string ClassFileName = "classes.txt";

    private static readonly HashSet<string> ImageExtensions = new(StringComparer.OrdinalIgnoreCase) { ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tga" };

    private SegmentationFolder(IReadOnlyList<string> classes, bool namedClasses, IReadOnlyList<SegmentationPair> train,
        IReadOnlyList<SegmentationPair> val, bool hasValFolder, IReadOnlyList<string> masksWithoutImage)
    {
        Classes = classes;
        NamedClasses = namedClasses;
        Train = train;
        Val = val;
        HasValFolder = hasValFolder;
        MasksWithoutImage = masksWithoutImage;
    }

    /// <summary>Class names, in index order (the indices as text when there is no <c>classes.txt</c>).</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>Whether the names came from <c>classes.txt</c>.</summary>
    public bool NamedClasses { get; }

    /// <summary>Training pairs.</summary>
    public IReadOnlyList<SegmentationPair> Train { get; }

    /// <summary>Validation pairs.</summary>
    public IReadOnlyList<SegmentationPair> Val { get; }

    /// <summary>Whether the validation pairs came from a <c>val</c> folder (otherwise from the held-out fraction).</summary>
    public bool HasValFolder { get; }

    /// <summary>Mask files that no image names (left out).</summary>
    public IReadOnlyList<string> MasksWithoutImage { get; }

    /// <summary>Scans and checks <paramref name="directory"/>.</summary>
    /// <param name="directory">The data folder.</param>
    /// <param name="valFraction">Share of the pairs held out for validation when there is no <c>val</c> folder.</param>
    /// <param name="seed">Seed of that split.</param>
    /// <param name="inspect">Decodes each pair (on all cores) and returns the largest class index its mask holds.</param>
    /// <returns>The classes and the two splits.</returns>
    /// <exception cref="InvalidDataException">The folder is unusable (missing folders, no images, an image without a mask) or a file in it
    /// is (an unreadable image or mask, a mask of another size than its image, an unknown class index); the message names it and the fix.</exception>
    public static SegmentationFolder Scan(string directory, double valFraction, int seed, SegmentationPairInspector inspect)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(inspect);
        if (!Directory.Exists(directory))
            throw new InvalidDataException($"Data folder not found: {directory}.");
        string classFile = Path.Combine(directory, ClassFileName);
        var names = File.Exists(classFile) ? ReadClassNames(classFile) : null;
        var orphans = new List<string>();
        string trainRoot = Path.Combine(directory, "train"), valRoot = Path.Combine(directory, "val");
        bool split = Directory.Exists(trainRoot) && Directory.Exists(valRoot);
        var train = Pairs(split ? trainRoot : directory, orphans);
        var val = split ? Pairs(valRoot, orphans) : new List<SegmentationPair>();
        int maxIndex = Check(train.Concat(val).ToList(), names is null ? null : (names.Count, classFile), inspect);
        if (names is null && maxIndex < 1)
            throw new InvalidDataException(
                $"Every mask in {directory} holds class 0 only (or nothing but ignored pixels); segmentation needs at least two classes.");
        var classes = names ?? Enumerable.Range(0, maxIndex + 1).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        if (!split)
        {
            (train, val) = Split(train, valFraction, seed);
            if (val.Count == 0)
                throw new InvalidDataException($"No pair could be held out for validation: {directory} has a single image. Add images or a {valRoot} folder.");
        }
        return new SegmentationFolder(classes, names is not null, train, val, split, orphans);
    }

    /// <summary>Reads <c>classes.txt</c>: one name per line, surrounding blanks trimmed, trailing empty lines ignored.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The names, at least two.</returns>
    /// <exception cref="InvalidDataException">Fewer than two names, an empty line between names, or more than 255 names.</exception>
    public static List<string> ReadClassNames(string path)
    {
        var lines = File.ReadAllLines(path).Select(l => l.Trim()).ToList();
        while (lines.Count > 0 && lines[^1].Length == 0)
            lines.RemoveAt(lines.Count - 1);
        int empty = lines.IndexOf("");
        if (empty >= 0)
            throw new InvalidDataException($"{path}: line {empty + 1} is empty; every line names the class of its index (line 1 is class 0).");
        if (lines.Count < 2 || lines.Count > IgnoreIndex)
            throw new InvalidDataException($"{path} names {lines.Count} classes; segmentation needs 2 to {IgnoreIndex} (index {IgnoreIndex} marks ignored pixels).");
        return lines;
    }

    private static List<SegmentationPair> Pairs(string root, List<string> orphans)
    {
        string imagesDir = Path.Combine(root, "images"), masksDir = Path.Combine(root, "masks");
        foreach (var required in new[] { imagesDir, masksDir })
        {
            if (!Directory.Exists(required))
                throw new InvalidDataException(
                    $"{root} needs an images/ folder and a masks/ folder (or train/ and val/ folders that each hold both); {required} is missing.");
        }
        var images = Directory.GetFiles(imagesDir).Where(f => ImageExtensions.Contains(Path.GetExtension(f)))
            .OrderBy(f => f, StringComparer.Ordinal).ToList();
        if (images.Count == 0)
            throw new InvalidDataException($"{imagesDir} holds no images (PNG, JPEG, BMP, GIF or TGA).");
        var masks = Directory.GetFiles(masksDir, "*.png").ToDictionary(f => Path.GetFileNameWithoutExtension(f), StringComparer.Ordinal);
        var duplicate = images.GroupBy(f => Path.GetFileNameWithoutExtension(f), StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidDataException(
                $"{imagesDir} holds several images named '{duplicate.Key}' ({string.Join(", ", duplicate.Select(Path.GetFileName))}); each image needs a base name of its own, which its mask shares.");
        var unmatched = images.Where(f => !masks.ContainsKey(Path.GetFileNameWithoutExtension(f))).ToList();
        if (unmatched.Count > 0)
            throw new InvalidDataException(
                $"{unmatched.Count} image(s) in {imagesDir} have no mask in {masksDir} (a PNG of the same base name), such as {Path.GetFileName(unmatched[0])}; add the masks or remove the images.");
        var named = images.Select(f => Path.GetFileNameWithoutExtension(f)).ToHashSet(StringComparer.Ordinal);
        orphans.AddRange(masks.Where(m => !named.Contains(m.Key)).Select(m => m.Value).OrderBy(f => f, StringComparer.Ordinal));
        return images.Select(f => new SegmentationPair(f, masks[Path.GetFileNameWithoutExtension(f)])).ToList();
    }

    /// <summary>Inspects every pair (in parallel) and reports the first problem in file order; returns the largest class index.</summary>
    private static int Check(List<SegmentationPair> pairs, (int Count, string File)? classes, SegmentationPairInspector inspect)
    {
        var problems = new string?[pairs.Count];
        var largest = new int[pairs.Count];
        Parallel.For(0, pairs.Count, i =>
        {
            var pair = pairs[i];
            int max;
            try
            {
                max = inspect(pair);
            }
            catch (InvalidDataException e)
            {
                problems[i] = e.Message;
                return;
            }
            largest[i] = max;
            if (classes is { } known && max >= known.Count)
                problems[i] = $"Mask {pair.Mask} holds class index {max}, but {known.File} names {known.Count} classes (0-{known.Count - 1}); {IgnoreIndex} marks pixels to ignore. Fix the mask or name the class in {ClassFileName}.";
        });
        int first = Array.FindIndex(problems, p => p is not null);
        if (first >= 0)
            throw new InvalidDataException(problems[first]);
        return largest.Length == 0 ? -1 : largest.Max();
    }

    /// <summary>Holds out <c>round(n * fraction)</c> pairs (at least 1 when there are 2 or more), chosen by <paramref name="seed"/>.</summary>
    private static (List<SegmentationPair> Train, List<SegmentationPair> Val) Split(List<SegmentationPair> pairs, double fraction, int seed)
    {
        var shuffled = pairs.ToArray();
        new Random(seed).Shuffle(shuffled);
        int held = pairs.Count < 2 ? 0 : Math.Clamp((int)Math.Round(pairs.Count * fraction), 1, pairs.Count - 1);
        return (shuffled.Skip(held).OrderBy(p => p.Image, StringComparer.Ordinal).ToList(),
            shuffled.Take(held).OrderBy(p => p.Image, StringComparer.Ordinal).ToList());
    }
}
