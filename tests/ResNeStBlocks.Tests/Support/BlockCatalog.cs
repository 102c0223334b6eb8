using System;
using System.Collections.Generic;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Blocks;
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

    private static nn.Module<Tensor, Tensor> BuildBlock(FixtureCase c)
    {
        int inPlanes = c.Int("inplanes"), planes = c.Int("planes"), stride = c.Int("stride", 1);
        bool bottleneck = !c.Reference.Contains("Basic");
        int outChannels = planes * (bottleneck ? 4 : 1);
        // The fixtures name the shortcut in words (args.downsample or the reference's "+ downsample_avg").
        bool needsShortcut = stride != 1 || inPlanes != outChannels;
        bool average = c.Reference.Contains("downsample_avg") || (c.String("downsample")?.StartsWith("ResNet-D") ?? false);
        nn.Module<Tensor, Tensor>? downsample = !needsShortcut ? null
            : average ? Downsample.Average(inPlanes, outChannels, stride)
            : Downsample.Convolution(inPlanes, outChannels, 1, stride);
        var extras = new BlockExtras(downsample);
        AttentionFactory? attention = c.Reference.Contains("attn_layer='se'") ? Attention.SqueezeExcite : null;
        int cardinality = c.Int("cardinality", 1);

        if (c.Reference.StartsWith("timm.models.resnest.ResNestBottleneck"))
            return new ResNeStBottleneck(inPlanes, planes, stride, c.Int("radix", 2), cardinality, c.Int("base_width", 64),
                c.Bool("avd", false), c.Bool("avd_first", false), extras: extras);
        if (c.Reference.StartsWith("timm.models.res2net.Bottle2neck"))
            return new Res2NetBottleneck(inPlanes, planes, stride, cardinality, c.Int("base_width", 26), c.Int("scale", 4), extras: extras);
        if (c.Reference.StartsWith("timm.models.resnet.BasicBlock"))
            return new BasicBlock(inPlanes, planes, stride, attention: attention, extras: extras);
        if (c.Reference.StartsWith("timm.models.resnet.Bottleneck"))
            return new Bottleneck(inPlanes, planes, stride, cardinality, c.Int("base_width", 64), attention: attention, extras: extras);
        var sk = SkOptions(c);
        if (c.Reference.StartsWith("timm.models.sknet.SelectiveKernelBasic"))
            return new SelectiveKernelBasicBlock(inPlanes, planes, stride, selectiveKernel: sk, extras: extras);
        if (c.Reference.StartsWith("timm.models.sknet.SelectiveKernelBottleneck"))
            return new SelectiveKernelBottleneck(inPlanes, planes, stride, cardinality, c.Int("base_width", 64), selectiveKernel: sk, extras: extras);
        throw new NotSupportedException($"No library block for fixture reference '{c.Reference}' ({c.Name}).");
    }

    private static SelectiveKernelOptions SkOptions(FixtureCase c)
    {
        if (!c.Args.TryGetProperty("sk_kwargs", out var sk))
            return SelectiveKernelOptions.Default;
        return new SelectiveKernelOptions(
            ReductionRatio: sk.TryGetProperty("rd_ratio", out var r) ? r.GetDouble() : 1.0 / 16,
            ReductionDivisor: sk.TryGetProperty("rd_divisor", out var d) ? d.GetInt32() : 8,
            SplitInput: !sk.TryGetProperty("split_input", out var s) || s.GetBoolean());
    }
}
