using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ResNeStBlocks.Detection.Models;
using static TorchSharp.torch;

namespace ResNeStBlocks.Vision;

/// <summary>
/// A Pascal VOC detection split over the devkit's folder layout: <c>ImageSets/Main/SPLIT.txt</c> lists ids, each with
/// <c>Annotations/ID.xml</c> and <c>JPEGImages/ID.jpg</c>. Every annotation is read and checked when the split is opened,
/// so a malformed file fails at once with one line naming it, never midway through training and never by dropping the
/// image. Images without objects are kept. Decoding the images is left to the caller.
/// </summary>
public sealed class VocDataset
{
    private VocDataset(string root, string split, ClassTable classes, IReadOnlyList<VocSample> samples)
    {
        Root = root;
        Split = split;
        Classes = classes;
        Samples = samples;
    }

    /// <summary>The dataset's folder (holding <c>Annotations</c>, <c>JPEGImages</c> and <c>ImageSets</c>).</summary>
    public string Root { get; }

    /// <summary>The split's name (<c>train</c>, <c>val</c>, <c>trainval</c>...).</summary>
    public string Split { get; }

    /// <summary>The class names and labels objects are mapped with.</summary>
    public ClassTable Classes { get; }

    /// <summary>The split's images in file order.</summary>
    public IReadOnlyList<VocSample> Samples { get; }

    /// <summary>Images in the split.</summary>
    public int Count => Samples.Count;

    /// <summary>Opens a split and reads all its annotations.</summary>
    /// <param name="root">The VOC folder (such as <c>VOCdevkit/VOC2012</c>).</param>
    /// <param name="split">The split file's name without <c>.txt</c> under <c>ImageSets/Main</c>.</param>
    /// <param name="classes">The class table; null for <see cref="ClassTable.PascalVoc"/>.</param>
    /// <returns>The dataset.</returns>
    /// <exception cref="VocFormatException">The split file is missing, lists an id whose annotation or image is missing,
    /// or an annotation is malformed or names a class the table does not hold; the message names the file and element.</exception>
    public static VocDataset Open(string root, string split, ClassTable? classes = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(split);
        classes ??= ClassTable.PascalVoc;
        string splitFile = Path.Combine(root, "ImageSets", "Main", split + ".txt");
        if (!File.Exists(splitFile))
            throw new VocFormatException($"{splitFile}: the split file does not exist; expected ImageSets/Main/{split}.txt under the VOC folder {root}.");
        var samples = new List<VocSample>();
        var lines = File.ReadAllLines(splitFile);
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0)
                continue;
            // Per-class split files ("ID  1") carry a flag after the id; the id is the first field.
            string id = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0];
            string xml = Path.Combine(root, "Annotations", id + ".xml");
            string image = Path.Combine(root, "JPEGImages", id + ".jpg");
            if (!File.Exists(xml))
                throw new VocFormatException($"{splitFile}: line {i + 1} lists '{id}' but its annotation {xml} does not exist.");
            if (!File.Exists(image))
                throw new VocFormatException($"{splitFile}: line {i + 1} lists '{id}' but its image {image} does not exist.");
            var annotation = VocAnnotation.Load(xml);
            var labels = new int[annotation.Objects.Count];
            for (int k = 0; k < labels.Length; k++)
            {
                string name = annotation.Objects[k].Name;
                if (!classes.TryGetLabel(name, out labels[k]))
                    throw new VocFormatException($"{xml}: object[{k}]/name '{name}' is not a known class; expected one of: {classes}.");
            }
            samples.Add(new VocSample(id, image, annotation, labels));
        }
        return new VocDataset(root, split, classes, samples.AsReadOnly());
    }

    /// <summary>
    /// The ground truth of image <paramref name="index"/> as a detector takes it: float32 boxes <c>[K, 4]</c> (x1, y1, x2,
    /// y2 as <see cref="VocAnnotation"/> converts them) and int64 labels <c>[K]</c>. The caller owns the tensors.
    /// </summary>
    /// <param name="index">The image, 0 to <see cref="Count"/> - 1.</param>
    /// <param name="includeDifficult">Keep objects flagged <c>difficult</c> (VOC's evaluation ignores them; detectron2 trains on them).</param>
    /// <returns>The target.</returns>
    public DetectionTarget Target(int index, bool includeDifficult = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        var sample = Samples[index];
        var kept = Enumerable.Range(0, sample.Annotation.Objects.Count).Where(k => includeDifficult || !sample.Annotation.Objects[k].Difficult).ToArray();
        var corners = kept.SelectMany(k =>
        {
            var o = sample.Annotation.Objects[k];
            return new[] { (float)o.X1, (float)o.Y1, (float)o.X2, (float)o.Y2 };
        }).ToArray();
        var labels = kept.Select(k => (long)sample.Labels[k]).ToArray();
        return new DetectionTarget(tensor(corners, new long[] { kept.Length, 4 }), tensor(labels, new long[] { kept.Length }));
    }
}
