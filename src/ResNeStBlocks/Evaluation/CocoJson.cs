using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;

namespace ResNeStBlocks.Evaluation;

/// <summary>
/// Typed reads of COCO JSON fields that fail with one line naming the file, the field's path and what came, so a
/// malformed file is refused before any evaluation.
/// </summary>
internal sealed class CocoJson
{
    private readonly string _prefix;

    public CocoJson(string source, string kind)
    {
        _prefix = $"{kind} '{source}'";
    }

    public JsonDocument Parse(string json)
    {
        try
        {
            return JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = false });
        }
        catch (JsonException e)
        {
            throw new CocoFormatException($"{_prefix} is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).", e);
        }
    }

    public static string ReadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"No COCO file at '{path}'.", path);
        return File.ReadAllText(path);
    }

    public CocoFormatException Error(string path, string problem) => new($"{_prefix}: {path} {problem}.");

    public JsonElement Array(JsonElement parent, string name, string path, string what)
    {
        if (!parent.TryGetProperty(name, out var value))
            throw Error(path, $"is missing ({what})");
        if (value.ValueKind != JsonValueKind.Array)
            throw Error(path, $"must be an array ({what}), got {Describe(value)}");
        return value;
    }

    public JsonElement Object(JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Error(path, $"must be an object, got {Describe(value)}");
        return value;
    }

    public bool TryGet(JsonElement parent, string name, out JsonElement value) =>
        parent.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    public JsonElement Required(JsonElement parent, string name, string path, string what) =>
        TryGet(parent, name, out var value) ? value : throw Error($"{path}.{name}", $"is missing ({what})");

    public long Id(JsonElement parent, string name, string path, string what)
    {
        var value = Required(parent, name, path, what);
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out long id))
            throw Error($"{path}.{name}", $"must be an integer ({what}), got {Describe(value)}");
        return id;
    }

    public int Size(JsonElement parent, string name, string path, string what)
    {
        var value = Required(parent, name, path, what);
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out int size) || size < 0)
            throw Error($"{path}.{name}", $"must be an integer of 0 or more ({what}), got {Describe(value)}");
        return size;
    }

    public double Number(JsonElement value, string path, string what)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out double number) || !double.IsFinite(number))
            throw Error(path, $"must be a finite number ({what}), got {Describe(value)}");
        return number;
    }

    public CocoBox Box(JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() != 4)
            throw Error(path, $"must be an array of 4 numbers [x, y, width, height], got {Describe(value)}");
        var v = new double[4];
        int i = 0;
        foreach (var e in value.EnumerateArray())
        {
            v[i] = Number(e, $"{path}[{i}]", "a box coordinate");
            i++;
        }
        return new CocoBox(v[0], v[1], v[2], v[3]);
    }

    /// <summary>A segmentation: a list of polygons, or an RLE object with <c>size</c> and string or integer <c>counts</c>.</summary>
    public CocoSegmentation Segmentation(JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.Array)
        {
            var polygons = new List<IReadOnlyList<double>>();
            int p = 0;
            foreach (var polygon in value.EnumerateArray())
            {
                string at = $"{path}[{p}]";
                if (polygon.ValueKind != JsonValueKind.Array)
                    throw Error(at, $"must be a polygon [x0, y0, x1, y1, ...], got {Describe(polygon)}");
                int n = polygon.GetArrayLength();
                bool boxes = polygons.Count > 0 ? polygons[0].Count == 4 : n == 4;
                if (boxes ? n != 4 : n < 6 || n % 2 != 0)
                    throw Error(at, boxes
                        ? $"must hold 4 numbers like the first entry (pycocotools then reads every entry as a box), got {n}"
                        : $"must hold an even number of at least 6 coordinates (3 points), got {n}");
                var xy = new double[n];
                int i = 0;
                foreach (var e in polygon.EnumerateArray())
                {
                    xy[i] = Number(e, $"{at}[{i}]", "a polygon coordinate");
                    i++;
                }
                polygons.Add(xy);
                p++;
            }
            if (polygons.Count == 0)
                throw Error(path, "must hold at least one polygon, got an empty array");
            return CocoSegmentation.FromPolygons(polygons);
        }
        return CocoSegmentation.FromMask(Rle(value, path, "polygons or an RLE object"));
    }

    /// <summary>An RLE object; <paramref name="expected"/> says what the field may be when it is not an object.</summary>
    public RunLengthMask Rle(JsonElement value, string path, string expected = "an RLE object")
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Error(path, $"must be {expected} {{\"size\": [h, w], \"counts\": ...}}, got {Describe(value)}");
        var size = Required(value, "size", path, "[height, width]");
        if (size.ValueKind != JsonValueKind.Array || size.GetArrayLength() != 2
            || size[0].ValueKind != JsonValueKind.Number || !size[0].TryGetInt32(out int h) || h < 0
            || size[1].ValueKind != JsonValueKind.Number || !size[1].TryGetInt32(out int w) || w < 0)
            throw Error($"{path}.size", $"must be [height, width] of two integers of 0 or more, got {Describe(size)}");
        var counts = Required(value, "counts", path, "a compressed string or an array of run lengths");
        if (counts.ValueKind == JsonValueKind.String)
        {
            try
            {
                return RunLengthMask.FromCompressedString(counts.GetString()!, h, w);
            }
            catch (FormatException e)
            {
                throw Error($"{path}.counts", $"is not a COCO compressed RLE string: {e.Message.TrimEnd('.')}");
            }
        }
        if (counts.ValueKind != JsonValueKind.Array)
            throw Error($"{path}.counts", $"must be a compressed string or an array of run lengths, got {Describe(counts)}");
        var runs = new uint[counts.GetArrayLength()];
        int k = 0;
        foreach (var e in counts.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetUInt32(out runs[k]))
                throw Error($"{path}.counts[{k}]", $"must be a run length (an integer of 0 or more), got {Describe(e)}");
            k++;
        }
        return new RunLengthMask(h, w, runs);
    }

    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{Shorten(value.GetString()!)}\"",
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        JsonValueKind.Null => "null",
        JsonValueKind.Array => $"an array of {value.GetArrayLength()}",
        JsonValueKind.Object => "an object",
        _ => value.ValueKind.ToString(),
    };

    private static string Shorten(string s) => s.Length <= 20 ? s : s[..20] + "...";
}
