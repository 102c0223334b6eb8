using System;
using System.Collections.Generic;
using System.IO;
using ResNeStBlocks.Detection.Models;
using ResNeStBlocks.Onnx;

namespace ResNeStBlocks.Samples.Detect;

/// <summary>The ONNX export of a trained detector (its transform and post-processing in the graph).</summary>
public static class DetectExport
{
    /// <summary>
    /// Refuses, before training, a model that <see cref="OnnxExporter"/> cannot export (it exports a graph of the fresh
    /// model to memory, without the verification forward), so <c>--export-onnx</c> fails at once rather than after the run.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <exception cref="ArgumentException">The exporter does not support the model.</exception>
    public static void CheckExportable(Detector model)
    {
        try
        {
            using var sink = new MemoryStream();
            OnnxExporter.Export(model, sink, new OnnxExportOptions { VerifyAgainstForward = false });
        }
        catch (NotSupportedException e)
        {
            throw new ArgumentException($"--export-onnx: {e.Message} Train without --export-onnx, or choose a model that exports.", e);
        }
    }

    /// <summary>
    /// Exports <paramref name="model"/> (its weights as they are) to <paramref name="path"/> with the class names in its
    /// metadata, so that <c>samples/OnnxDetect</c> names the detections.
    /// </summary>
    /// <param name="model">The detector in the weights to deploy.</param>
    /// <param name="classNames">The names of its labels, background first.</param>
    /// <param name="path">The ONNX file.</param>
    public static void Export(Detector model, IReadOnlyList<string> classNames, string path)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
            Directory.CreateDirectory(folder);
        model.eval();
        OnnxExporter.Export(model, path, new OnnxExportOptions { ClassNames = classNames });
    }
}
