using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ResNeStBlocks.Detection.Models;
using ResNeStBlocks.Evaluation;
using ResNeStBlocks.Samples.Data;
using ResNeStBlocks.Vision;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.Detect;

/// <summary>One image of a split: its file, its id in the split's ground truth and its training target.</summary>
/// <param name="ImagePath">The image file.</param>
/// <param name="ImageId">Its id in <see cref="DetectionData.ValGroundTruth"/> (validation images).</param>
/// <param name="Target">Builds its training target (true: with masks); the caller owns the tensors.</param>
public sealed record DetectItem(string ImagePath, long ImageId, Func<bool, DetectionTarget> Target);

/// <summary>
/// A data folder as the sample reads it, in the COCO layout (instances JSON files and their images) or the Pascal VOC
/// layout (<c>Annotations</c>, <c>JPEGImages</c>, <c>ImageSets/Main</c>), with its train/val split: given by the folder
/// (<c>instances_train*.json</c> and <c>instances_val*.json</c>; VOC's <c>train.txt</c> and <c>val.txt</c>), or drawn
/// with the seed from the one file or split there is.
/// </summary>
public sealed class DetectionData
{
    private readonly Func<int, long> categoryOf;

    private DetectionData(string layout, ClassTable classes, IReadOnlyList<DetectItem> train, IReadOnlyList<DetectItem> val,
        CocoDataset valGroundTruth, Func<int, long> categoryOf, bool givenSplit)
    {
        Layout = layout;
        Classes = classes;
        Train = train;
        Val = val;
        ValGroundTruth = valGroundTruth;
        this.categoryOf = categoryOf;
        GivenSplit = givenSplit;
    }

    /// <summary><c>COCO</c> or <c>VOC</c>.</summary>
    public string Layout { get; }

    /// <summary>Class names by label (background 0).</summary>
    public ClassTable Classes { get; }

    /// <summary>The training images.</summary>
    public IReadOnlyList<DetectItem> Train { get; }

    /// <summary>The validation images.</summary>
    public IReadOnlyList<DetectItem> Val { get; }

    /// <summary>The validation images' ground truth for <see cref="CocoEvaluator"/> (VOC's difficult objects as crowds, which are ignored).</summary>
    public CocoDataset ValGroundTruth { get; }

    /// <summary>Whether the folder gave the split (else it was drawn with the seed).</summary>
    public bool GivenSplit { get; }

    /// <summary>The ground truth's category id of a label.</summary>
    /// <param name="label">A label, 1 and up.</param>
    /// <returns>The category id.</returns>
    public long CategoryId(int label) => categoryOf(label);

    /// <summary>Opens a folder, detecting its layout.</summary>
    /// <param name="directory">The folder.</param>
    /// <param name="valFraction">The share of images held out when the folder gives no split.</param>
    /// <param name="seed">The split's seed.</param>
    /// <returns>The data.</returns>
    /// <exception cref="ArgumentException">The folder is missing or in neither layout.</exception>
    /// <exception cref="CocoFormatException">A COCO file is malformed.</exception>
    /// <exception cref="VocFormatException">A VOC file is malformed.</exception>
    public static DetectionData Open(string directory, double valFraction, int seed)
    {
        if (!Directory.Exists(directory))
            throw new ArgumentException($"--data: the folder '{directory}' does not exist; make one with --make-demo-data {directory}.");
        if (Directory.Exists(Path.Combine(directory, "Annotations")))
            return OpenVoc(directory, valFraction, seed);
        string annotations = Path.Combine(directory, "annotations");
        var files = (Directory.Exists(annotations) ? Directory.GetFiles(annotations, "*.json") : Directory.GetFiles(directory, "*.json"))
            .OrderBy(f => f, StringComparer.Ordinal).ToArray();
        if (files.Length == 0)
            throw new ArgumentException(
                $"--data: '{directory}' is in neither layout: expected COCO instances JSON files (in {directory} or its annotations folder) or a VOC folder (Annotations, JPEGImages, ImageSets/Main).");
        string? trainFile = files.FirstOrDefault(f => Path.GetFileName(f).Contains("train", StringComparison.OrdinalIgnoreCase));
        string? valFile = files.FirstOrDefault(f => Path.GetFileName(f).Contains("val", StringComparison.OrdinalIgnoreCase));
        if (trainFile is not null && valFile is not null)
        {
            var train = OpenCoco(directory, trainFile);
            var val = OpenCoco(directory, valFile);
            if (!train.Classes.Names.SequenceEqual(val.Classes.Names) || Enumerable.Range(1, train.Classes.Count - 1).Any(l => train.CategoryId(l) != val.CategoryId(l)))
                throw new ArgumentException($"--data: {trainFile} and {valFile} list different categories; the two splits need the same categories in the same order.");
            return new DetectionData("COCO", train.Classes, CocoItems(train, Enumerable.Range(0, train.Count)), CocoItems(val, Enumerable.Range(0, val.Count)),
                val.GroundTruth, train.CategoryId, givenSplit: true);
        }
        if (files.Length > 1)
            throw new ArgumentException(
                $"--data: {files.Length} JSON files in {Path.GetDirectoryName(files[0])} ({string.Join(", ", files.Select(Path.GetFileName))}); expected one, or one named *train* and one *val*.");
        var all = OpenCoco(directory, files[0]);
        var (trainIndices, valIndices) = Split(all.Count, valFraction, seed);
        var valImages = valIndices.Select(i => all.Samples[i].Image).ToArray();
        var valIds = valImages.Select(i => i.Id).ToHashSet();
        var truth = new CocoDataset(valImages, all.GroundTruth.Annotations.Where(a => valIds.Contains(a.ImageId)).ToArray(), all.GroundTruth.Categories);
        return new DetectionData("COCO", all.Classes, CocoItems(all, trainIndices), CocoItems(all, valIndices), truth, all.CategoryId, givenSplit: false);
    }

    private static CocoInstancesDataset OpenCoco(string directory, string file)
    {
        var truth = CocoDataset.Load(file);
        string split = Path.GetFileNameWithoutExtension(file).Replace("instances_", "", StringComparison.Ordinal);
        var candidates = new[] { Path.Combine(directory, split), Path.Combine(directory, "images", split), Path.Combine(directory, "images"), directory };
        string? first = truth.Images.FirstOrDefault()?.FileName;
        string folder = first is null ? directory : candidates.FirstOrDefault(c => File.Exists(Path.Combine(c, first))) ??
            throw new ArgumentException($"--data: {file} lists '{first}', which is in none of {string.Join(", ", candidates)}.");
        return CocoInstancesDataset.Open(file, folder);
    }

    private static List<DetectItem> CocoItems(CocoInstancesDataset dataset, IEnumerable<int> indices) =>
        indices.Select(i => new DetectItem(dataset.Samples[i].ImagePath, dataset.Samples[i].Image.Id, masks => dataset.Target(i, masks))).ToList();

    private static (int[] Train, int[] Val) Split(int count, double valFraction, int seed)
    {
        if (count < 2)
            throw new ArgumentException($"--data: {count} image(s); a train/val split needs at least 2.");
        var order = Enumerable.Range(0, count).ToArray();
        new Random(seed).Shuffle(order);
        int val = Math.Clamp((int)Math.Round(count * valFraction), 1, count - 1);
        return (order[val..].Order().ToArray(), order[..val].Order().ToArray());
    }

    private static DetectionData OpenVoc(string directory, double valFraction, int seed)
    {
        string main = Path.Combine(directory, "ImageSets", "Main");
        bool given = File.Exists(Path.Combine(main, "train.txt")) && File.Exists(Path.Combine(main, "val.txt"));
        string single = File.Exists(Path.Combine(main, "trainval.txt")) ? "trainval" : "train";
        var splits = given ? new[] { "train", "val" } : new[] { single };
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var split in splits)
        {
            string file = Path.Combine(main, split + ".txt");
            if (!File.Exists(file))
                throw new VocFormatException($"{file}: the split file does not exist; a VOC folder needs ImageSets/Main/train.txt and val.txt, or trainval.txt.");
            foreach (var id in File.ReadAllLines(file).Select(l => l.Trim()).Where(l => l.Length > 0).Select(l => l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0]))
            {
                string xml = Path.Combine(directory, "Annotations", id + ".xml");
                if (File.Exists(xml))
                    foreach (var o in VocAnnotation.Load(xml).Objects)
                        names.Add(o.Name);
            }
        }
        var classes = names.All(n => ClassTable.PascalVoc.TryGetLabel(n, out _)) ? ClassTable.PascalVoc : new ClassTable(names);
        var datasets = splits.Select(s => VocDataset.Open(directory, s, classes)).ToArray();
        IReadOnlyList<(VocDataset Set, int Index)> train, val;
        if (given)
        {
            train = Enumerable.Range(0, datasets[0].Count).Select(i => (datasets[0], i)).ToArray();
            val = Enumerable.Range(0, datasets[1].Count).Select(i => (datasets[1], i)).ToArray();
        }
        else
        {
            var (t, v) = Split(datasets[0].Count, valFraction, seed);
            train = t.Select(i => (datasets[0], i)).ToArray();
            val = v.Select(i => (datasets[0], i)).ToArray();
        }
        var images = new List<CocoImage>();
        var annotations = new List<CocoAnnotation>();
        var valItems = new List<DetectItem>();
        foreach (var (set, index) in val)
        {
            var sample = set.Samples[index];
            long id = images.Count + 1;
            images.Add(new CocoImage(id, sample.Annotation.Width, sample.Annotation.Height, sample.Id));
            for (int k = 0; k < sample.Annotation.Objects.Count; k++)
            {
                var o = sample.Annotation.Objects[k];
                var box = new CocoBox(o.X1, o.Y1, o.X2 - o.X1, o.Y2 - o.Y1);
                annotations.Add(new CocoAnnotation(annotations.Count + 1, id, sample.Labels[k], box, box.Area, o.Difficult, null));
            }
            valItems.Add(new DetectItem(sample.ImagePath, id, masks => VocTarget(set, index, masks)));
        }
        var categories = classes.Names.Skip(1).Select((n, k) => new CocoCategory(k + 1, n)).ToArray();
        var trainItems = train.Select(p => new DetectItem(p.Set.Samples[p.Index].ImagePath, 0, masks => VocTarget(p.Set, p.Index, masks))).ToList();
        return new DetectionData("VOC", classes, trainItems, valItems, new CocoDataset(images, annotations, categories), label => label, given);
    }

    private static DetectionTarget VocTarget(VocDataset set, int index, bool masks)
    {
        if (masks)
            throw new ArgumentException("--model: a VOC folder has no instance masks; train a model without masks (Faster R-CNN, RetinaNet, FCOS) on it.");
        return set.Target(index);
    }

    /// <summary>Decodes an image file to float <c>[3, H, W]</c> in [0, 1] on the CPU; the caller owns the tensor.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The image.</returns>
    public static Tensor LoadImage(string path)
    {
        using var scope = NewDisposeScope();
        using var pixels = DecodedImage.LoadRgb(path);
        using TorchSharp.Scalar scale = 1.0 / 255;
        return pixels.permute(2, 0, 1).to(ScalarType.Float32).mul(scale).contiguous().MoveToOuterDisposeScope();
    }
}
