using System;
using System.Collections.Generic;
using System.Text.Json;

namespace ResNeStBlocks.Evaluation;

/// <summary>
/// Reads a COCO results file: a JSON array of records <c>{"image_id", "category_id", "score", "bbox"}</c> (box results)
/// or with <c>"segmentation"</c> as an RLE object (mask results), or both.
/// </summary>
public static class CocoResults
{
    /// <summary>Reads a COCO results JSON file.</summary>
    /// <exception cref="System.IO.FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="CocoFormatException">The file is malformed; the message names the file and the field.</exception>
    public static IReadOnlyList<CocoDetection> Load(string path) => Parse(CocoJson.ReadFile(path), path);

    /// <summary>Reads COCO results JSON text; <paramref name="source"/> names it in error messages.</summary>
    /// <exception cref="CocoFormatException">The text is malformed; the message names the source and the field.</exception>
    public static IReadOnlyList<CocoDetection> Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(source);
        var reader = new CocoJson(source, "COCO results file");
        using var document = reader.Parse(json);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Array)
            throw new CocoFormatException($"COCO results file '{source}' must hold a JSON array of result records, got {CocoJson.Describe(root)}.");
        var detections = new List<CocoDetection>(root.GetArrayLength());
        int i = 0;
        foreach (var e in root.EnumerateArray())
        {
            string path = $"[{i}]";
            reader.Object(e, path);
            long imageId = reader.Id(e, "image_id", path, "the image it was found on");
            long categoryId = reader.Id(e, "category_id", path, "its category");
            double score = reader.Number(reader.Required(e, "score", path, "its confidence"), $"{path}.score", "its confidence");
            CocoBox? box = reader.TryGet(e, "bbox", out var b) ? reader.Box(b, $"{path}.bbox") : null;
            RunLengthMask? mask = reader.TryGet(e, "segmentation", out var s) ? reader.Rle(s, $"{path}.segmentation") : null;
            if (box is null && mask is null)
                throw reader.Error(path, "has neither bbox nor segmentation; a result needs one of them");
            detections.Add(new CocoDetection(imageId, categoryId, score, box, mask));
            i++;
        }
        return detections.AsReadOnly();
    }
}
