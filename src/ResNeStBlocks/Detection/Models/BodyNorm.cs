using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// The norm layer of a detector's ResNet body, as torchvision chooses it: <see cref="FrozenBatchNorm"/> for the v1 COCO
/// models (<c>norm_layer=FrozenBatchNorm2d</c>), <see cref="BatchNorm"/> for the v2 ones (torchvision's default
/// <c>nn.BatchNorm2d</c>, which uses batch statistics in training).
/// </summary>
public enum BodyNorm
{
    /// <summary><see cref="FrozenBatchNorm2d"/>: buffers only, no <c>num_batches_tracked</c>, the same in both modes.</summary>
    FrozenBatchNorm,

    /// <summary>PyTorch's <c>BatchNorm2d</c> (eps 1e-5, momentum 0.1): weight and bias train, running statistics and <c>num_batches_tracked</c>.</summary>
    BatchNorm,
}

/// <summary>Builds the norm a <see cref="BodyNorm"/> names.</summary>
internal static class BodyNorms
{
    public static nn.Module<Tensor, Tensor> Create(BodyNorm norm, int channels) => norm switch
    {
        BodyNorm.FrozenBatchNorm => new FrozenBatchNorm2d(channels),
        BodyNorm.BatchNorm => nn.BatchNorm2d(channels),
        _ => throw new System.ArgumentOutOfRangeException(nameof(norm), norm, "norm must be FrozenBatchNorm or BatchNorm."),
    };
}
