using System;
using System.Linq;
using ResNeStBlocks.Zoo;

namespace ResNeStBlocks.Onnx;

/// <summary>Choices for <see cref="OnnxExporter"/>. Every graph has a dynamic batch dimension (<c>dim_param</c> "batch").</summary>
public sealed record OnnxExportOptions
{
    /// <summary>The defaults: BatchNorm folded, float32 weights, a fixed input size, the head as output.</summary>
    public static OnnxExportOptions Default { get; } = new();

    /// <summary>
    /// Fold every BatchNorm into the convolution before it (the default), computed on the exported weights; the
    /// model itself is not changed. When false, the graph keeps BatchNormalization nodes with the running statistics.
    /// </summary>
    public bool FoldBatchNorm { get; init; } = true;

    /// <summary>
    /// Leave height and width symbolic (<c>dim_param</c> "height" and "width") so the file accepts any image size the model
    /// accepts. When false (the default), the input is declared [batch, C, <see cref="InputHeight"/>, <see cref="InputWidth"/>]
    /// and ONNX Runtime refuses other sizes.
    /// </summary>
    public bool DynamicSpatialSize { get; init; }

    /// <summary>Input height when the size is fixed; defaults to <see cref="Pretrained"/>'s input size, else 224.</summary>
    public int? InputHeight { get; init; }

    /// <summary>Input width when the size is fixed; defaults to <see cref="Pretrained"/>'s input size, else 224.</summary>
    public int? InputWidth { get; init; }

    /// <summary>Input channels for a module that does not state them (a plain Sequential); the library's modules do.</summary>
    public int? InputChannels { get; init; }

    /// <summary>How the weights are stored.</summary>
    public OnnxWeightType WeightType { get; init; } = OnnxWeightType.Float32;

    /// <summary>
    /// The preprocessing the weights expect (for a zoo model, <c>ModelZoo.Pretrained(name)</c>); written to the
    /// file's metadata so that a deployer knows the input size, crop, interpolation, mean and std.
    /// </summary>
    public PretrainedConfig? Pretrained { get; init; }

    /// <summary>
    /// For a <see cref="Backbones.ResNet"/>: output every stage's feature map (<c>stage1</c> .. <c>stage4</c>, for a
    /// detection or segmentation neck) instead of the head's <c>logits</c> / <c>features</c>.
    /// </summary>
    public bool StageOutputs { get; init; }

    /// <summary>
    /// Before writing, run the model's descriptions with TorchSharp (the eager evaluator of
    /// <see cref="Description.DescriptionCheck"/>) and compare them with the model's forward on a seeded random probe input
    /// of one image (default true). The probe has the export's fixed size; with <see cref="DynamicSpatialSize"/> it has
    /// <see cref="InputHeight"/> x <see cref="InputWidth"/> when given, else <see cref="DynamicProbeSize"/> x
    /// <see cref="DynamicProbeSize"/>. A difference refuses the export with a <see cref="Description.DescriptionMismatchException"/>
    /// naming the first module that differs. The check costs about two forward passes; turn it off for very large models.
    /// </summary>
    public bool VerifyAgainstForward { get; init; } = true;

    /// <summary>
    /// The names of the graph outputs, in the order the model produces them (replacing <c>logits</c>, <c>features</c>,
    /// <c>stage1</c>.., or a module's own names); null keeps those names.
    /// </summary>
    public System.Collections.Generic.IReadOnlyList<string>? OutputNames { get; init; }

    /// <summary>
    /// For a detector: the class names in label order, one per class of the model (background first, as torchvision's
    /// label 0), written to the file's metadata under <see cref="OnnxMetadataKeys.ClassNames"/> so that a deployer can
    /// name the <c>labels</c> output; for COCO weights, <c>TorchvisionWeights.CocoCategories</c>. Null writes no names.
    /// Other models refuse it.
    /// </summary>
    public System.Collections.Generic.IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>
    /// The side of the probe input of <see cref="VerifyAgainstForward"/> for a dynamic-size export without an explicit size:
    /// 96 = 32 x 3, which a ResNet's output stride and small adaptive pools (2, 3, 4, 6) divide.
    /// </summary>
    public const int DynamicProbeSize = 96;

    internal (int Height, int Width) SpatialSize => (InputHeight ?? Pretrained?.InputSize ?? 224, InputWidth ?? Pretrained?.InputSize ?? 224);

    internal void Validate()
    {
        if (InputHeight is < 1)
            throw new ArgumentOutOfRangeException(nameof(InputHeight), InputHeight, $"InputHeight must be at least 1, got {InputHeight}.");
        if (InputWidth is < 1)
            throw new ArgumentOutOfRangeException(nameof(InputWidth), InputWidth, $"InputWidth must be at least 1, got {InputWidth}.");
        if (InputChannels is < 1)
            throw new ArgumentOutOfRangeException(nameof(InputChannels), InputChannels, $"InputChannels must be at least 1, got {InputChannels}.");
        if (OutputNames is { } names && (names.Count == 0 || names.Any(string.IsNullOrEmpty) || names.Distinct(StringComparer.Ordinal).Count() != names.Count))
            throw new ArgumentException($"OutputNames must be distinct and not empty, got [{string.Join(", ", names)}].", nameof(OutputNames));
        if (!Enum.IsDefined(WeightType))
            throw new ArgumentOutOfRangeException(nameof(WeightType), WeightType, $"WeightType must be Float32 or Float16, got {(int)WeightType}.");
    }
}
