using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Xml;
using System.Xml.Linq;

namespace ResNeStBlocks.Vision;

/// <summary>
/// One Pascal VOC annotation file (<c>Annotations/ID.xml</c>): the image's file name and size and its objects.
/// </summary>
/// <remarks>
/// VOC writes <c>bndbox</c> as 1-based inclusive pixel indexes: <c>xmin = 1</c>, <c>xmax = 3</c> covers the first three
/// columns. The reader turns that into the continuous 0-based corners torchvision's detectors take, where pixel
/// <c>i</c> covers <c>[i, i + 1)</c>: <c>x1 = xmin - 1</c>, <c>y1 = ymin - 1</c>, <c>x2 = xmax</c>, <c>y2 = ymax</c>.
/// The box then covers exactly the annotated pixels, its width <c>xmax - xmin + 1</c> is VOC devkit's own, and it is the
/// conversion detectron2's <c>load_voc_instances</c> applies. torchvision's <c>VOCDetection</c> only parses the XML into
/// a dictionary of strings and converts nothing; its detection references train on COCO, not VOC.
/// A box is rejected when <c>xmax &lt; xmin</c> or <c>ymax &lt; ymin</c> (then <c>x2 &lt;= x1</c>); coordinates may be
/// fractional, as some VOC-style exporters write them.
/// </remarks>
/// <param name="Source">The file the annotation came from (used in messages).</param>
/// <param name="FileName">The image's file name (<c>filename</c>).</param>
/// <param name="Width">Image columns (<c>size/width</c>).</param>
/// <param name="Height">Image rows (<c>size/height</c>).</param>
/// <param name="Depth">Channels (<c>size/depth</c>; 3 when absent).</param>
/// <param name="Objects">The objects, in file order.</param>
public sealed record VocAnnotation(string Source, string FileName, int Width, int Height, int Depth, IReadOnlyList<VocObject> Objects)
{
    /// <summary>Reads one annotation file.</summary>
    /// <param name="path">The XML file.</param>
    /// <returns>The annotation.</returns>
    /// <exception cref="VocFormatException">The file is missing, is not XML, or an element is missing or malformed; the message names the file and element.</exception>
    public static VocAnnotation Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
            throw new VocFormatException($"{path}: the annotation file does not exist.");
        XDocument document;
        try
        {
            document = XDocument.Load(path);
        }
        catch (XmlException e)
        {
            throw new VocFormatException($"{path}: not well-formed XML at line {e.LineNumber}, position {e.LinePosition}: {e.Message}", e);
        }
        return Parse(document, path);
    }

    /// <summary>Reads an annotation already parsed as XML.</summary>
    /// <param name="document">The document, whose root is <c>&lt;annotation&gt;</c>.</param>
    /// <param name="source">A name for the document in messages (usually its path).</param>
    /// <returns>The annotation.</returns>
    /// <exception cref="VocFormatException">An element is missing or malformed; the message names the source and element.</exception>
    public static VocAnnotation Parse(XDocument document, string source)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(source);
        var root = document.Root;
        if (root is null || root.Name.LocalName != "annotation")
            throw new VocFormatException($"{source}: expected the root element <annotation>, got <{root?.Name.LocalName ?? "nothing"}>.");
        string fileName = root.Element("filename")?.Value.Trim() ?? "";
        var size = root.Element("size") ?? throw new VocFormatException($"{source}: missing element size.");
        int width = PositiveInt(size, "width", source, "size/width");
        int height = PositiveInt(size, "height", source, "size/height");
        int depth = size.Element("depth") is null ? 3 : PositiveInt(size, "depth", source, "size/depth");
        var objects = root.Elements("object").Select((o, i) => ParseObject(o, source, $"object[{i}]")).ToArray();
        return new VocAnnotation(source, fileName, width, height, depth, objects);
    }

    private static VocObject ParseObject(XElement element, string source, string where)
    {
        string name = element.Element("name")?.Value.Trim() ?? "";
        if (name.Length == 0)
            throw new VocFormatException($"{source}: {where}/name is missing or empty.");
        var box = element.Element("bndbox") ?? throw new VocFormatException($"{source}: {where} ({name}) has no bndbox.");
        double xmin = Number(box, "xmin", source, where), ymin = Number(box, "ymin", source, where);
        double xmax = Number(box, "xmax", source, where), ymax = Number(box, "ymax", source, where);
        if (xmax < xmin || ymax < ymin)
            throw new VocFormatException(
                $"{source}: {where}/bndbox ({name}) is empty: xmin={Show(xmin)}, xmax={Show(xmax)}, ymin={Show(ymin)}, ymax={Show(ymax)} gives x1={Show(xmin - 1)}, x2={Show(xmax)}, y1={Show(ymin - 1)}, y2={Show(ymax)}; expected x2 > x1 and y2 > y1.");
        return new VocObject(name, xmin - 1, ymin - 1, xmax, ymax, Flag(element, "difficult", source, where), Flag(element, "truncated", source, where));
    }

    private static double Number(XElement box, string name, string source, string where)
    {
        var element = box.Element(name) ?? throw new VocFormatException($"{source}: {where}/bndbox/{name} is missing.");
        string text = element.Value.Trim();
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
            throw new VocFormatException($"{source}: {where}/bndbox/{name} is not a number: '{text}'.");
        return value;
    }

    private static int PositiveInt(XElement parent, string name, string source, string path)
    {
        var element = parent.Element(name) ?? throw new VocFormatException($"{source}: missing element {path}.");
        string text = element.Value.Trim();
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < 1)
            throw new VocFormatException($"{source}: {path} must be a positive integer, got '{text}'.");
        return value;
    }

    /// <summary>A 0/1 flag; absent means 0 (VOC 2012's test objects and many exporters leave them out).</summary>
    private static bool Flag(XElement element, string name, string source, string where)
    {
        var flag = element.Element(name);
        if (flag is null)
            return false;
        return flag.Value.Trim() switch
        {
            "0" => false,
            "1" => true,
            var other => throw new VocFormatException($"{source}: {where}/{name} must be 0 or 1, got '{other}'."),
        };
    }

    private static string Show(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
