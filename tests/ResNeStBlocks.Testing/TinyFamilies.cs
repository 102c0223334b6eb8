using System;
using System.Collections.Generic;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Blocks;

namespace ResNeStBlocks.Testing;

/// <summary>
/// One tiny network per model family (ResNeSt radix 1, 2 and 4 with cardinality, Res2Net, SK basic and bottleneck,
/// SE-ResNeXt, ResNet-D): one block per stage and 8 to 16 planes, so a forward at 32x32 takes milliseconds.
/// </summary>
public static class TinyFamilies
{
    private static readonly Dictionary<string, BlockSpec> Blocks = new(StringComparer.Ordinal)
    {
        ["resnest_1s4x24d"] = new ResNeStSpec(Radix: 1, Cardinality: 4, BaseWidth: 24, AvdFirst: true),
        ["resnest_2s1x64d"] = new ResNeStSpec(),
        ["resnest_4s2x64d"] = new ResNeStSpec(Radix: 4, Cardinality: 2, BaseWidth: 64, AvdFirst: true),
        ["res2net_26w_4s"] = new Res2NetSpec(BaseWidth: 26, Scale: 4),
        ["skresnet_basic"] = new SelectiveKernelBasicSpec(),
        ["skresnext_4x16d"] = new SelectiveKernelBottleneckSpec(4, 16),
        ["seresnext_4x16d"] = new BottleneckSpec(4, 16, Attention.SqueezeExcite),
        ["resnet_d"] = new BottleneckSpec(),
    };

    public static IEnumerable<string> Names => Blocks.Keys;

    /// <summary>The family's tiny configuration: deep stem and average-pool shortcuts for ResNeSt and ResNet-D, 5 classes.</summary>
    public static ResNetConfig Config(string family, int outputStride = 32)
    {
        bool deep = family.StartsWith("resnest", StringComparison.Ordinal) || family == "resnet_d";
        return new ResNetConfig(Blocks[family], new[] { 1, 1, 1, 1 })
        {
            Channels = new[] { 8, 8, 16, 16 },
            NumClasses = 5,
            StemType = deep ? StemType.Deep : StemType.Default,
            StemWidth = 8,
            AvgDown = deep,
            OutputStride = outputStride,
        };
    }
}
