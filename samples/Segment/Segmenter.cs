using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Onnx;
using ResNeStBlocks.Preprocessing;
using ResNeStBlocks.Training;
using ResNeStBlocks.Vision;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.Segment;

/// <summary>
/// A trained segmentation model ready to label images: the evaluated weights of a training checkpoint in TorchSharp,
/// or an exported ONNX file in ONNX Runtime. Both prepare an image the same way (shorter side resized to the trained
/// base size, normalised), and both upsample the logits bilinearly to the image's own size before taking each pixel's
/// highest class.
/// </summary>
public sealed class Segmenter : IDisposable
{
    private readonly SegmentationModel? model;
    private readonly InferenceSession? session;
    private readonly JointTransform transform;
    private readonly Device device;
    private readonly bool ownsModel;

    private Segmenter(SegmentationModel? model, InferenceSession? session, IReadOnlyList<string> classes, int baseSize, Device device,
        bool ownsModel = true)
    {
        this.model = model;
        this.ownsModel = ownsModel;
        this.session = session;
        this.device = device;
        Classes = classes;
        BaseSize = baseSize;
        transform = new JointTransform(baseSize, baseSize, ImagePreprocessor.ImageNetMean, ImagePreprocessor.ImageNetStd);
    }

    /// <summary>Class names, in index order.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>The shorter side images are resized to before the network sees them.</summary>
    public int BaseSize { get; }

    /// <summary>Which engine runs the network.</summary>
    public string Engine => session is null ? "TorchSharp" : "ONNX Runtime";

    /// <summary>Wraps a model in memory (eval mode is set here).</summary>
    /// <param name="model">The model; the caller keeps ownership.</param>
    /// <param name="classes">Class names.</param>
    /// <param name="baseSize">The trained base size.</param>
    /// <param name="device">Where the model lives.</param>
    /// <returns>The segmenter (disposing it leaves the model alone).</returns>
    public static Segmenter ForModel(SegmentationModel model, IReadOnlyList<string> classes, int baseSize, Device device)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.eval();
        return new Segmenter(model, null, classes, baseSize, device, ownsModel: false);
    }

    /// <summary>Opens a training checkpoint (<c>best.safetensors</c>, <c>last.safetensors</c>) or an ONNX file written by this sample.</summary>
    /// <param name="path">The file.</param>
    /// <param name="device">Where a checkpoint's model runs (ONNX Runtime runs on the CPU).</param>
    /// <returns>The segmenter.</returns>
    /// <exception cref="InvalidDataException">The file is neither such a checkpoint nor an ONNX segmentation model.</exception>
    public static Segmenter Open(string path, Device device)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (string.Equals(Path.GetExtension(path), ".onnx", StringComparison.OrdinalIgnoreCase))
            return OpenOnnx(path);
        var metadata = TrainingCheckpoint.ReadMetadata(path);
        string Read(string key) => metadata.TryGetValue(key, out var value)
            ? value
            : throw new InvalidDataException($"{path} is a training checkpoint but not one of this sample (its metadata has no '{key}').");
        var classes = Read(CheckpointKeys.Classes).Split('\n');
        int baseSize = int.Parse(Read(CheckpointKeys.BaseSize), CultureInfo.InvariantCulture);
        var network = SegmentModelFactory.Create(Read(CheckpointKeys.Model), classes.Length, dropPathRate: 0);
        try
        {
            TrainingCheckpoint.LoadWeights(path, network, fromEma: Read(CheckpointKeys.Weights) == "ema");
            network.to(device);
            network.eval();
        }
        catch
        {
            network.Dispose();
            throw;
        }
        return new Segmenter(network, null, classes, baseSize, device);
    }

    private static Segmenter OpenOnnx(string path)
    {
        var session = new InferenceSession(path);
        try
        {
            var metadata = session.ModelMetadata.CustomMetadataMap;
            if (!session.OutputNames.Contains(SegmentationModel.OutName) || !metadata.TryGetValue(OnnxMetadataKeys.InputSize, out var size)
                || !metadata.TryGetValue(OnnxMetadataKeys.NumClasses, out var count))
                throw new InvalidDataException(
                    $"{path} is not a segmentation model exported by this sample (it needs the output '{SegmentationModel.OutName}' and the metadata '{OnnxMetadataKeys.InputSize}' and '{OnnxMetadataKeys.NumClasses}').");
            int classCount = int.Parse(count, CultureInfo.InvariantCulture);
            // The training run leaves classes.txt beside model.onnx; without it the classes are their indices.
            string names = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", SegmentationFolder.ClassFileName);
            var classes = File.Exists(names) && SegmentationFolder.ReadClassNames(names) is { } read && read.Count == classCount
                ? read
                : Enumerable.Range(0, classCount).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
            return new Segmenter(null, session, classes, int.Parse(size.Split(',')[^1], CultureInfo.InvariantCulture), CPU);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>The network's input for an image: shorter side resized to <see cref="BaseSize"/>, normalised, <c>[1, 3, h, w]</c>.</summary>
    /// <param name="rgb">RGB uint8 <c>[H, W, 3]</c>.</param>
    /// <returns>Float32 on the CPU; the caller owns it.</returns>
    public Tensor Input(Tensor rgb)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        using var scope = NewDisposeScope();
        return transform.EvaluationInput(rgb).unsqueeze(0).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>The main output's logits for a prepared input, on the CPU.</summary>
    /// <param name="input">From <see cref="Input"/>.</param>
    /// <returns>Float32 <c>[1, classes, h, w]</c>; the caller owns it.</returns>
    public Tensor Logits(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (model is not null)
        {
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            return model.call(input.to(device)).cpu().MoveToOuterDisposeScope();
        }
        using var value = OrtValue.CreateTensorValueFromMemory(input.contiguous().data<float>().ToArray(), input.shape);
        using var options = new RunOptions();
        using var results = session!.Run(options, new[] { OnnxExporter.InputName }, new[] { value }, new[] { SegmentationModel.OutName });
        return tensor(results[0].GetTensorDataAsSpan<float>().ToArray(), results[0].GetTensorTypeAndShape().Shape);
    }

    /// <summary>Labels every pixel of an image.</summary>
    /// <param name="rgb">RGB uint8 <c>[H, W, 3]</c>.</param>
    /// <returns>H x W class indices, row by row.</returns>
    public byte[] Predict(Tensor rgb)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        using var scope = NewDisposeScope();
        var logits = Logits(Input(rgb));
        var full = nn.functional.interpolate(logits, new[] { rgb.shape[0], rgb.shape[1] }, mode: InterpolationMode.Bilinear, align_corners: false);
        return full.argmax(1)[0].to(ScalarType.Byte).data<byte>().ToArray();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        session?.Dispose();
        if (ownsModel)
            model?.Dispose();
    }
}

/// <summary>The metadata keys of this sample's training checkpoints.</summary>
public static class CheckpointKeys
{
    /// <summary>The model name.</summary>
    public const string Model = "model";

    /// <summary>Class names, one per line.</summary>
    public const string Classes = "classes";

    /// <summary>The base size (evaluation's shorter side).</summary>
    public const string BaseSize = "base_size";

    /// <summary>The training crop size.</summary>
    public const string CropSize = "crop_size";

    /// <summary>Which weights were evaluated: <c>ema</c> or <c>model</c>.</summary>
    public const string Weights = "evaluated_weights";
}
