using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ResNeStBlocks.Detection.Models;
using ResNeStBlocks.Evaluation;
using static TorchSharp.torch;

namespace ResNeStBlocks.Vision;

/// <summary>
/// A COCO instances file (<c>images</c>, <c>annotations</c>, <c>categories</c>) and its image folder as a detection
/// training set. The file is read with <see cref="CocoDataset"/> (the evaluator's reader) and checked further when the
/// dataset is opened: every image needs a <c>file_name</c> that exists, every annotation a listed category, and the
/// categories distinct non-empty names. A malformed file fails at once with one line naming it and the field, never
/// midway through training and never by dropping an image. Images without annotations are kept (see
/// <see cref="CocoInstancesSample.IsEmpty"/>). Decoding the images is left to the caller.
/// </summary>
/// <remarks>
/// Category ids map to contiguous labels 1, 2, ... in the file's category order (<see cref="Classes"/>; background is
/// 0). <see cref="Target"/> builds what torchvision's reference training (<c>ConvertCocoPolysToMask</c>) builds: crowd
/// objects left out, boxes converted from <c>[x, y, w, h]</c> to corners and clipped to the image, and boxes left
/// without area by the clipping dropped. <see cref="GroundTruth"/> keeps everything, crowds included, for
/// <see cref="CocoEvaluator"/>.
/// </remarks>
public sealed class CocoInstancesDataset
{
    private readonly Dictionary<long, int> labels;
    private readonly long[] categoryIds;
    private readonly Dictionary<long, int> annotationIndex;

    private CocoInstancesDataset(string annotationFile, string imageFolder, CocoDataset groundTruth, ClassTable classes,
        long[] categoryIds, Dictionary<long, int> labels, IReadOnlyList<CocoInstancesSample> samples)
    {
        AnnotationFile = annotationFile;
        ImageFolder = imageFolder;
        GroundTruth = groundTruth;
        Classes = classes;
        this.categoryIds = categoryIds;
        this.labels = labels;
        Samples = samples;
        annotationIndex = new Dictionary<long, int>(groundTruth.Annotations.Count);
        for (int i = 0; i < groundTruth.Annotations.Count; i++)
            annotationIndex[groundTruth.Annotations[i].Id] = i;
    }

    /// <summary>The instances JSON file.</summary>
    public string AnnotationFile { get; }

    /// <summary>The folder that the images' <c>file_name</c> entries are relative to.</summary>
    public string ImageFolder { get; }

    /// <summary>The file as the evaluator reads it (all images, annotations and categories, crowds included).</summary>
    public CocoDataset GroundTruth { get; }

    /// <summary>The categories' names by label (background 0, then the file's categories in order).</summary>
    public ClassTable Classes { get; }

    /// <summary>The images in file order.</summary>
    public IReadOnlyList<CocoInstancesSample> Samples { get; }

    /// <summary>Images in the file.</summary>
    public int Count => Samples.Count;

    /// <summary>The COCO category id of a label (1 to <see cref="ClassTable.Count"/> - 1).</summary>
    /// <param name="label">A label, 1 and up.</param>
    /// <returns>The category id.</returns>
    public long CategoryId(int label)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(label, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(label, categoryIds.Length);
        return categoryIds[label - 1];
    }

    /// <summary>The label of a COCO category id, or false when the file does not list it.</summary>
    /// <param name="categoryId">A category id.</param>
    /// <param name="label">Its label, 1 and up.</param>
    /// <returns>Whether the id is listed.</returns>
    public bool TryGetLabel(long categoryId, out int label) => labels.TryGetValue(categoryId, out label);

    /// <summary>Opens an instances file and checks every image and annotation.</summary>
    /// <param name="annotationFile">The instances JSON file.</param>
    /// <param name="imageFolder">The folder of the images' <c>file_name</c> entries; null for the JSON file's folder.</param>
    /// <returns>The dataset.</returns>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="annotationFile"/>.</exception>
    /// <exception cref="CocoFormatException">The file is malformed, an image has no <c>file_name</c> or its file is
    /// missing, an annotation names an unlisted category, or two categories share a name; the message names the file and the field.</exception>
    public static CocoInstancesDataset Open(string annotationFile, string? imageFolder = null)
    {
        ArgumentNullException.ThrowIfNull(annotationFile);
        var groundTruth = CocoDataset.Load(annotationFile);
        imageFolder ??= Path.GetDirectoryName(Path.GetFullPath(annotationFile))!;
        string prefix = $"COCO file '{annotationFile}'";

        var names = new List<string>();
        var nameIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var labels = new Dictionary<long, int>();
        for (int i = 0; i < groundTruth.Categories.Count; i++)
        {
            var category = groundTruth.Categories[i];
            if (string.IsNullOrWhiteSpace(category.Name) || category.Name == ClassTable.BackgroundName)
                throw new CocoFormatException($"{prefix}: categories[{i}].name must be a non-empty class name other than '{ClassTable.BackgroundName}', got '{category.Name}'.");
            if (!nameIndex.TryAdd(category.Name, i))
                throw new CocoFormatException($"{prefix}: categories[{i}].name '{category.Name}' repeats categories[{nameIndex[category.Name]}].name; class names must be distinct.");
            names.Add(category.Name);
            labels.Add(category.Id, i + 1);
        }
        var classes = new ClassTable(names);

        var byImage = groundTruth.Images.ToDictionary(image => image.Id, _ => new List<CocoAnnotation>());
        for (int i = 0; i < groundTruth.Annotations.Count; i++)
        {
            var annotation = groundTruth.Annotations[i];
            if (!labels.ContainsKey(annotation.CategoryId))
                throw new CocoFormatException($"{prefix}: annotations[{i}].category_id {annotation.CategoryId} names no entry of categories.");
            var box = annotation.Box;
            if (!annotation.IsCrowd && (box.Width < 0 || box.Height < 0))
                throw new CocoFormatException($"{prefix}: annotations[{i}].bbox must have a width and height of 0 or more, got [{box.X}, {box.Y}, {box.Width}, {box.Height}].");
            byImage[annotation.ImageId].Add(annotation);
        }

        var samples = new CocoInstancesSample[groundTruth.Images.Count];
        for (int i = 0; i < samples.Length; i++)
        {
            var image = groundTruth.Images[i];
            if (string.IsNullOrEmpty(image.FileName))
                throw new CocoFormatException($"{prefix}: images[{i}].file_name is missing (the image file under {imageFolder}).");
            string path = Path.Combine(imageFolder, image.FileName);
            if (!File.Exists(path))
                throw new CocoFormatException($"{prefix}: images[{i}].file_name '{image.FileName}' names no file; expected {path}.");
            var objects = byImage[image.Id];
            samples[i] = new CocoInstancesSample(image, path, objects.AsReadOnly(), objects.Select(o => labels[o.CategoryId]).ToArray());
        }
        return new CocoInstancesDataset(annotationFile, imageFolder, groundTruth, classes, groundTruth.Categories.Select(c => c.Id).ToArray(), labels,
            Array.AsReadOnly(samples));
    }

    /// <summary>
    /// The training target of image <paramref name="index"/> as torchvision's reference builds it: the image's non-crowd
    /// objects, float32 boxes <c>[K, 4]</c> (x1, y1, x2, y2, clipped to the image; boxes without area after clipping
    /// left out), int64 labels <c>[K]</c> and, when asked, uint8 masks <c>[K, H, W]</c> decoded from polygons or RLE
    /// exactly as pycocotools decodes them. An image without such objects gives K = 0. The caller owns the tensors.
    /// </summary>
    /// <param name="index">The image, 0 to <see cref="Count"/> - 1.</param>
    /// <param name="masks">Decode the instance masks (Mask R-CNN).</param>
    /// <returns>The target.</returns>
    /// <exception cref="CocoFormatException">Masks are asked for and an object has no <c>segmentation</c>, or its
    /// run-length mask has another size than the image.</exception>
    public DetectionTarget Target(int index, bool masks = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        var sample = Samples[index];
        int width = sample.Image.Width, height = sample.Image.Height;
        var corners = new List<float>();
        var kept = new List<long>();
        var pixels = new List<byte[]>();
        for (int k = 0; k < sample.Objects.Count; k++)
        {
            var o = sample.Objects[k];
            if (o.IsCrowd)
                continue;
            double x1 = Math.Clamp(o.Box.X, 0, width), y1 = Math.Clamp(o.Box.Y, 0, height);
            double x2 = Math.Clamp(o.Box.X + o.Box.Width, 0, width), y2 = Math.Clamp(o.Box.Y + o.Box.Height, 0, height);
            if (!((float)x2 > (float)x1 && (float)y2 > (float)y1))
                continue;
            corners.AddRange(new[] { (float)x1, (float)y1, (float)x2, (float)y2 });
            kept.Add(sample.Labels[k]);
            if (masks)
                pixels.Add(MaskPixels(sample, k));
        }
        int count = kept.Count;
        Tensor? maskTensor = null;
        if (masks)
        {
            var all = new byte[(long)count * height * width];
            for (int k = 0; k < count; k++)
                Buffer.BlockCopy(pixels[k], 0, all, k * height * width, height * width);
            maskTensor = tensor(all, new long[] { count, height, width });
        }
        return new DetectionTarget(tensor(corners.ToArray(), new long[] { count, 4 }), tensor(kept.ToArray(), new long[] { count }), maskTensor);
    }

    /// <summary>Object <paramref name="k"/>'s mask as row-major bytes (0 or 1), pycocotools' <c>annToMask</c>.</summary>
    private byte[] MaskPixels(CocoInstancesSample sample, int k)
    {
        var o = sample.Objects[k];
        int width = sample.Image.Width, height = sample.Image.Height;
        string field = $"annotations[{annotationIndex[o.Id]}].segmentation";
        if (o.Segmentation is null)
            throw new CocoFormatException($"COCO file '{AnnotationFile}': {field} is missing; masks need polygons or RLE for every object.");
        if (o.Segmentation.Mask is { } rle && (rle.Height != height || rle.Width != width))
            throw new CocoFormatException(
                $"COCO file '{AnnotationFile}': {field}.size is [{rle.Height}, {rle.Width}], but its image {sample.Image.Id} is {height} x {width} (height x width).");
        bool[,] decoded;
        try
        {
            decoded = o.Segmentation.ToMask(height, width).Decode();
        }
        catch (InvalidOperationException e)
        {
            throw new CocoFormatException($"COCO file '{AnnotationFile}': {field} cannot be decoded: {e.Message}", e);
        }
        var bytes = new byte[height * width];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                bytes[y * width + x] = decoded[y, x] ? (byte)1 : (byte)0;
        return bytes;
    }
}
