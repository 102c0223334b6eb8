using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using ResNeStBlocks.Samples.OnnxImages;
using StbImageSharp;

namespace ResNeStBlocks.Samples.OnnxDetect;

/// <summary>
/// Detects objects with a detector exported by ResNeStBlocks.Onnx: ONNX Runtime on the CPU, no TorchSharp. The file takes
/// one image <c>input</c> [1, 3, H, W] of any size with values in [0, 1] (the resize and normalisation are in the graph) and
/// gives <c>boxes</c> [N, 4] in the input's pixels, <c>scores</c> [N], <c>labels</c> [N] (int64) and, for Mask R-CNN,
/// <c>masks</c> [N, 1, H, W] (probabilities at the input's size). The class names come from the file's metadata when the
/// export was given them.
/// </summary>
public sealed class OnnxImageDetector : IDisposable
{
    /// <summary>The input: one RGB image in [0, 1].</summary>
    public const string InputName = "input";

    /// <summary>The boxes output, [N, 4] as (x1, y1, x2, y2).</summary>
    public const string BoxesOutput = "boxes";

    /// <summary>The scores output, [N].</summary>
    public const string ScoresOutput = "scores";

    /// <summary>The labels output, [N] int64.</summary>
    public const string LabelsOutput = "labels";

    /// <summary>The masks output of a Mask R-CNN file, [N, 1, H, W].</summary>
    public const string MasksOutput = "masks";

    /// <summary>The metadata key of the class names (ResNeStBlocks.Onnx's <c>OnnxMetadataKeys.ClassNames</c>), a JSON array in label order.</summary>
    public const string ClassNamesKey = "class_names";

    private readonly InferenceSession session;
    private readonly string[] outputs;

    /// <summary>Loads the model with every graph optimization on.</summary>
    /// <param name="modelPath">The .onnx file.</param>
    /// <param name="threads">Intra-op threads (0: ONNX Runtime's default).</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The model is not a detector, or its class names are not a JSON array of strings.</exception>
    public OnnxImageDetector(string modelPath, int threads = 0)
    {
        if (!File.Exists(modelPath))
            throw new FileNotFoundException($"Model file not found: {modelPath}", modelPath);
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = threads };
        session = new InferenceSession(modelPath, options);
        try
        {
            var missing = new[] { BoxesOutput, ScoresOutput, LabelsOutput }.Where(name => !session.OutputNames.Contains(name)).ToArray();
            if (missing.Length > 0 || !session.InputNames.Contains(InputName))
                throw new InvalidDataException(
                    $"{modelPath} is not a detector export: it needs input '{InputName}' and outputs {BoxesOutput}, {ScoresOutput} and {LabelsOutput} " +
                    $"(it has inputs {string.Join(", ", session.InputNames)} and outputs {string.Join(", ", session.OutputNames)}); " +
                    "export a detector with ResNeStBlocks.Onnx's OnnxExporter.");
            HasMasks = session.OutputNames.Contains(MasksOutput);
            outputs = HasMasks ? new[] { BoxesOutput, ScoresOutput, LabelsOutput, MasksOutput } : new[] { BoxesOutput, ScoresOutput, LabelsOutput };
            var metadata = session.ModelMetadata.CustomMetadataMap;
            Module = metadata.TryGetValue("module", out var module) ? module : null;
            ClassNames = metadata.TryGetValue(ClassNamesKey, out var names) ? ParseNames(modelPath, names) : null;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>The class names in label order, or null when the file has none.</summary>
    public IReadOnlyList<string>? ClassNames { get; }

    /// <summary>Whether the file gives masks (Mask R-CNN).</summary>
    public bool HasMasks { get; }

    /// <summary>The exported detector's type from the metadata, such as <c>FasterRcnn</c>, or null.</summary>
    public string? Module { get; }

    /// <summary>The name of <paramref name="label"/>: the file's class name, or <c>class N</c> without one.</summary>
    /// <param name="label">A label.</param>
    /// <returns>The name.</returns>
    public string Name(long label) => Name(ClassNames, label);

    /// <summary>The name of <paramref name="label"/> in <paramref name="names"/>, or <c>class N</c> when it has none (no list, out of range, or empty).</summary>
    /// <param name="names">Class names in label order, or null.</param>
    /// <param name="label">A label.</param>
    /// <returns>The name.</returns>
    public static string Name(IReadOnlyList<string>? names, long label) =>
        names is not null && label >= 0 && label < names.Count && names[(int)label].Length > 0 ? names[(int)label] : $"class {label}";

    /// <summary>Detects objects in a decoded image.</summary>
    /// <param name="image">Interleaved 8-bit RGB.</param>
    /// <param name="scoreThreshold">The lowest score kept, in [0, 1].</param>
    /// <returns>The detections with at least that score, as the model orders them (best first).</returns>
    /// <exception cref="InvalidDataException">The model's outputs do not have the detector's shapes.</exception>
    public IReadOnlyList<DetectedObject> Detect(ImageResult image, float scoreThreshold)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (!(scoreThreshold >= 0 && scoreThreshold <= 1))
            throw new ArgumentOutOfRangeException(nameof(scoreThreshold), scoreThreshold, $"scoreThreshold must be in [0, 1], got {scoreThreshold}.");
        int height = image.Height, width = image.Width, plane = height * width;
        // Channel-first floats in [0, 1]: the model resizes and normalises the image itself.
        var pixels = new float[3 * plane];
        for (int i = 0; i < plane; i++)
            for (int c = 0; c < 3; c++)
                pixels[c * plane + i] = image.Data[3 * i + c] / 255f;
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, new long[] { 1, 3, height, width });
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, new[] { InputName }, new[] { input }, outputs);
        var boxes = results[0].GetTensorDataAsSpan<float>();
        var scores = results[1].GetTensorDataAsSpan<float>();
        var labels = results[2].GetTensorDataAsSpan<long>();
        int count = labels.Length;
        if (scores.Length != count || boxes.Length != 4 * count)
            throw new InvalidDataException(
                $"The model gave {boxes.Length / 4.0} boxes, {scores.Length} scores and {count} labels; a detector gives one of each per detection.");
        ReadOnlySpan<float> masks = default;
        if (HasMasks)
        {
            var shape = results[3].GetTensorTypeAndShape().Shape;
            if (shape.Length != 4 || shape[0] != count || shape[1] != 1 || shape[2] != height || shape[3] != width)
                throw new InvalidDataException(
                    $"The model's '{MasksOutput}' has shape [{string.Join(", ", shape)}]; expected [{count}, 1, {height}, {width}] (one mask per detection at the image's size).");
            masks = results[3].GetTensorDataAsSpan<float>();
        }
        var found = new List<DetectedObject>();
        for (int i = 0; i < count; i++)
        {
            if (!(scores[i] >= scoreThreshold))
                continue;
            float[]? mask = HasMasks ? masks.Slice(i * plane, plane).ToArray() : null;
            found.Add(new DetectedObject(labels[i], scores[i], boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3], mask));
        }
        return found;
    }

    private static string[] ParseNames(string modelPath, string json)
    {
        try
        {
            return JsonSerializer.Deserialize<string[]>(json) is { } names && names.All(name => name is not null)
                ? names
                : throw new JsonException("not an array of strings");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{modelPath}'s '{ClassNamesKey}' metadata is not a JSON array of strings: {e.Message}", e);
        }
    }

    /// <inheritdoc />
    public void Dispose() => session.Dispose();
}
