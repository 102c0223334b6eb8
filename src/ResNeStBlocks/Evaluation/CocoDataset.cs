using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;

namespace ResNeStBlocks.Evaluation;

/// <summary>
/// The ground truth of a COCO evaluation: a COCO instances file's <c>images</c>, <c>annotations</c> and
/// <c>categories</c>. Ids must be unique within each list and every annotation must lie on a listed image.
/// </summary>
public sealed class CocoDataset
{
    private readonly Dictionary<long, CocoImage> _images;

    /// <summary>Builds a ground truth from its parts, checked as the reader checks a file.</summary>
    /// <exception cref="ArgumentException">An id repeats, or an annotation names an image that is not listed.</exception>
    public CocoDataset(IReadOnlyList<CocoImage> images, IReadOnlyList<CocoAnnotation> annotations, IReadOnlyList<CocoCategory> categories)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(annotations);
        ArgumentNullException.ThrowIfNull(categories);
        Images = Array.AsReadOnly(images.ToArray());
        Annotations = Array.AsReadOnly(annotations.ToArray());
        Categories = Array.AsReadOnly(categories.ToArray());
        _images = new Dictionary<long, CocoImage>();
        foreach (var image in Images)
            if (!_images.TryAdd(image.Id, image))
                throw new ArgumentException($"Image id {image.Id} appears twice in images; ids must be unique.", nameof(images));
        var ids = new HashSet<long>();
        foreach (var annotation in Annotations)
        {
            if (!ids.Add(annotation.Id))
                throw new ArgumentException($"Annotation id {annotation.Id} appears twice in annotations; ids must be unique.", nameof(annotations));
            if (!_images.ContainsKey(annotation.ImageId))
                throw new ArgumentException($"Annotation {annotation.Id} is on image {annotation.ImageId}, which images does not list.", nameof(annotations));
        }
        var categoryIds = new HashSet<long>();
        foreach (var category in Categories)
            if (!categoryIds.Add(category.Id))
                throw new ArgumentException($"Category id {category.Id} appears twice in categories; ids must be unique.", nameof(categories));
    }

    /// <summary>The images, in file order.</summary>
    public IReadOnlyList<CocoImage> Images { get; }

    /// <summary>The ground-truth objects, in file order (which orders matching among equals, as in pycocotools).</summary>
    public IReadOnlyList<CocoAnnotation> Annotations { get; }

    /// <summary>The categories, in file order.</summary>
    public IReadOnlyList<CocoCategory> Categories { get; }

    /// <summary>The image with this id, or null.</summary>
    public CocoImage? FindImage(long id) => _images.TryGetValue(id, out var image) ? image : null;

    /// <summary>Reads a COCO instances JSON file.</summary>
    /// <exception cref="System.IO.FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="CocoFormatException">The file is malformed; the message names the file and the field.</exception>
    public static CocoDataset Load(string path) => Parse(CocoJson.ReadFile(path), path);

    /// <summary>Reads COCO instances JSON text; <paramref name="source"/> names it in error messages.</summary>
    /// <exception cref="CocoFormatException">The text is malformed; the message names the source and the field.</exception>
    public static CocoDataset Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(source);
        var reader = new CocoJson(source, "COCO file");
        using var document = reader.Parse(json);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw new CocoFormatException($"COCO file '{source}' must hold a JSON object with images, annotations and categories, got {CocoJson.Describe(root)}.");

        var images = new List<CocoImage>();
        var imageIds = new Dictionary<long, int>();
        int i = 0;
        foreach (var e in reader.Array(root, "images", "images", "the images").EnumerateArray())
        {
            string path = $"images[{i}]";
            reader.Object(e, path);
            long id = reader.Id(e, "id", path, "the image id");
            if (!imageIds.TryAdd(id, i))
                throw reader.Error($"{path}.id", $"{id} repeats images[{imageIds[id]}].id; ids must be unique");
            int width = reader.Size(e, "width", path, "pixels");
            int height = reader.Size(e, "height", path, "pixels");
            string? fileName = reader.TryGet(e, "file_name", out var name) && name.ValueKind == JsonValueKind.String ? name.GetString() : null;
            images.Add(new CocoImage(id, width, height, fileName));
            i++;
        }

        var categories = new List<CocoCategory>();
        var categoryIds = new Dictionary<long, int>();
        i = 0;
        foreach (var e in reader.Array(root, "categories", "categories", "the categories").EnumerateArray())
        {
            string path = $"categories[{i}]";
            reader.Object(e, path);
            long id = reader.Id(e, "id", path, "the category id");
            if (!categoryIds.TryAdd(id, i))
                throw reader.Error($"{path}.id", $"{id} repeats categories[{categoryIds[id]}].id; ids must be unique");
            string categoryName = reader.TryGet(e, "name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : "";
            categories.Add(new CocoCategory(id, categoryName));
            i++;
        }

        var annotations = new List<CocoAnnotation>();
        var annotationIds = new Dictionary<long, int>();
        i = 0;
        foreach (var e in reader.Array(root, "annotations", "annotations", "the ground-truth objects").EnumerateArray())
        {
            string path = $"annotations[{i}]";
            reader.Object(e, path);
            long id = reader.Id(e, "id", path, "the annotation id");
            if (!annotationIds.TryAdd(id, i))
                throw reader.Error($"{path}.id", $"{id} repeats annotations[{annotationIds[id]}].id; ids must be unique");
            long imageId = reader.Id(e, "image_id", path, "the image it lies on");
            if (!imageIds.ContainsKey(imageId))
                throw reader.Error($"{path}.image_id", $"{imageId} names no entry of images");
            long categoryId = reader.Id(e, "category_id", path, "its category");
            var box = reader.Box(reader.Required(e, "bbox", path, "[x, y, width, height]"), $"{path}.bbox");
            double area = reader.Number(reader.Required(e, "area", path, "the object's area in pixels"), $"{path}.area", "the object's area in pixels");
            bool crowd = false;
            if (reader.TryGet(e, "iscrowd", out var c))
            {
                if (c.ValueKind != JsonValueKind.Number || !c.TryGetInt32(out int flag) || flag is not (0 or 1))
                    throw reader.Error($"{path}.iscrowd", $"must be 0 or 1, got {CocoJson.Describe(c)}");
                crowd = flag == 1;
            }
            CocoSegmentation? segmentation = reader.TryGet(e, "segmentation", out var s) ? reader.Segmentation(s, $"{path}.segmentation") : null;
            annotations.Add(new CocoAnnotation(id, imageId, categoryId, box, area, crowd, segmentation));
            i++;
        }
        return new CocoDataset(images, annotations, categories);
    }
}
