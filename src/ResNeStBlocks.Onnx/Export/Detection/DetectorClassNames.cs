using System.Collections.Generic;
using System.Linq;
using System.Text.Encodings.Web;
using System.Text.Json;
using ResNeStBlocks.Detection.Models;

namespace ResNeStBlocks.Onnx.Export.Detection;

/// <summary>A detector's class names (<see cref="OnnxExportOptions.ClassNames"/>): checked against its classes, written as metadata.</summary>
internal static class DetectorClassNames
{
    // Names stay readable in a metadata viewer: only JSON's own syntax is escaped, not every non-ASCII letter.
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Refuses names that do not name every label of <paramref name="detector"/>, before the graph is built.</summary>
    public static void Check(Detector detector, OnnxExportOptions options)
    {
        if (options.ClassNames is not { } names)
            return;
        if (names.Count != detector.NumClasses)
            throw new System.ArgumentException(
                $"OnnxExportOptions.ClassNames has {names.Count} names, but the {detector.GetType().Name} predicts {detector.NumClasses} classes " +
                $"(labels 0 to {detector.NumClasses - 1}, 0 the background); give one name per label, background first " +
                "(TorchvisionWeights.CocoCategories for torchvision's COCO weights).", nameof(options));
        if (names.Any(name => name is null))
            throw new System.ArgumentException("OnnxExportOptions.ClassNames must not contain null; use \"\" for an unnamed label.", nameof(options));
    }

    /// <summary>The <see cref="OnnxMetadataKeys.ClassNames"/> entry, when names were given.</summary>
    public static IEnumerable<(string Key, string Value)> Metadata(OnnxExportOptions options) =>
        options.ClassNames is { } names
            ? new[] { (OnnxMetadataKeys.ClassNames, JsonSerializer.Serialize(names.ToArray(), Json)) }
            : System.Array.Empty<(string, string)>();
}
