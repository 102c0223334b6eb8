using System;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Backbones;

/// <summary>
/// Builds what timm calls a ResNet's <c>conv1</c>: one 7x7 convolution, or the deep stem's Sequential whose
/// child indices (<c>conv1.0</c>, <c>conv1.1</c>, <c>conv1.3</c>, ...) are timm's keys. <see cref="ResNet"/> owns
/// the result together with <c>bn1</c> and the max pool.
/// </summary>
internal static class StemConvolutions
{
    /// <summary>The stem's convolutions and their output channels (64, or twice the stem width for the deep stems).</summary>
    public static (nn.Module<Tensor, Tensor> Module, int OutChannels) Create(StemType type, int inChannels, int stemWidth)
    {
        int output = Validate(type, inChannels, stemWidth);
        if (type == StemType.Default)
            return (nn.Conv2d(inChannels, output, 7, stride: 2, padding: 3, bias: false), output);
        int first = FirstWidth(type, stemWidth);
        var module = nn.Sequential(
            nn.Conv2d(inChannels, first, 3, stride: 2, padding: 1, bias: false),
            nn.BatchNorm2d(first),
            nn.ReLU(inplace: true),
            nn.Conv2d(first, stemWidth, 3, padding: 1, bias: false),
            nn.BatchNorm2d(stemWidth),
            nn.ReLU(inplace: true),
            nn.Conv2d(stemWidth, output, 3, padding: 1, bias: false));
        return (module, output);
    }

    /// <summary>Checks the stem settings without allocating; returns the stem's output channels.</summary>
    public static int Validate(StemType type, int inChannels, int stemWidth)
    {
        Guard.Positive(inChannels, nameof(ResNetConfig.InChannels));
        if (type == StemType.Default)
            return 64;
        if (type is not (StemType.Deep or StemType.DeepTiered))
            throw new ArgumentOutOfRangeException(nameof(ResNetConfig.StemType), type, $"Unknown stem type {type}.");
        Guard.Positive(stemWidth, nameof(ResNetConfig.StemWidth));
        Guard.Positive(FirstWidth(type, stemWidth), nameof(ResNetConfig.StemWidth), "3 * (StemWidth / 4)");
        return stemWidth * 2;
    }

    private static int FirstWidth(StemType type, int stemWidth) => type == StemType.DeepTiered ? 3 * (stemWidth / 4) : stemWidth;
}
