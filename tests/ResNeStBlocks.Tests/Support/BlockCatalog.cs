using System;
using System.Collections.Generic;
using ResNeStBlocks.Layers;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Support;

/// <summary>Builds the library module that corresponds to a timm block fixture case, from the case's args.</summary>
public static class BlockCatalog
{
    public static nn.Module<Tensor, Tensor> Build(FixtureCase c) => c.Reference switch
    {
        "timm.layers.SEModule" => new SqueezeExcite(c.Int("channels"), c.Double("rd_ratio", 1.0 / 16), c.Int("rd_divisor", 8)),
        "timm.layers.SelectiveKernel" => new SelectiveKernel(c.Int("in_channels"), c.Int("out_channels"), c.Ints("kernel_size"),
            c.Int("stride", 1), c.Int("dilation", 1), c.Int("groups", 1), c.Double("rd_ratio", 1.0 / 16), c.Int("rd_divisor", 8),
            keepThreeByThree: c.Bool("keep_3x3", true), splitInput: c.Bool("split_input", true)),
        "timm.layers.SplitAttn" => new SplitAttention(c.Int("in_channels"), c.Int("out_channels"), c.Int("kernel_size", 3),
            c.Int("stride", 1), c.Int("padding", 1), c.Int("dilation", 1), c.Int("groups", 1), c.Int("radix", 2),
            c.Double("rd_ratio", 0.25), c.Int("rd_divisor", 8), minAttentionChannels: c.Int("min_attn_channels", 32),
            useNorm: c.String("norm") == "BatchNorm2d"),
        _ => BuildBlock(c),
    };

    private static nn.Module<Tensor, Tensor> BuildBlock(FixtureCase c) =>
        throw new NotSupportedException($"No library block for fixture reference '{c.Reference}' ({c.Name}).");
}
