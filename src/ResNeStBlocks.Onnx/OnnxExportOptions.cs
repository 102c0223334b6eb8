using System;
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

    /// <summary>Leave height and width symbolic (<c>dim_param</c> "height" and "width") so the file accepts any image size.</summary>
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

    internal (int Height, int Width) SpatialSize => (InputHeight ?? Pretrained?.InputSize ?? 224, InputWidth ?? Pretrained?.InputSize ?? 224);

    internal void Validate()
    {
        if (InputHeight is < 1)
            throw new ArgumentOutOfRangeException(nameof(InputHeight), InputHeight, $"InputHeight must be at least 1, got {InputHeight}.");
        if (InputWidth is < 1)
            throw new ArgumentOutOfRangeException(nameof(InputWidth), InputWidth, $"InputWidth must be at least 1, got {InputWidth}.");
        if (InputChannels is < 1)
            throw new ArgumentOutOfRangeException(nameof(InputChannels), InputChannels, $"InputChannels must be at least 1, got {InputChannels}.");
        if (!Enum.IsDefined(WeightType))
            throw new ArgumentOutOfRangeException(nameof(WeightType), WeightType, $"WeightType must be Float32 or Float16, got {(int)WeightType}.");
    }
}
