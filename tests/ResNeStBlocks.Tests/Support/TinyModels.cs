using System;
using System.Linq;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Blocks;

namespace ResNeStBlocks.Tests.Support;

/// <summary>Turns a models/tiny_* case's timm ResNet arguments into a <see cref="ResNetConfig"/>.</summary>
public static class TinyModels
{
    public static ResNetConfig Config(FixtureCase c)
    {
        string reference = c.Reference;
        int cardinality = c.Int("cardinality", 1);
        int? baseWidth = c.Has("base_width") ? c.Int("base_width") : null;
        BlockSpec block =
            reference.Contains("ResNestBottleneck") ? new ResNeStSpec(c.Int("radix", 2), cardinality, baseWidth ?? 64, c.Bool("avd", false), c.Bool("avd_first", false))
            : reference.Contains("Bottle2neck") ? new Res2NetSpec(cardinality, baseWidth ?? 26, c.Int("scale", 4))
            : reference.Contains("SelectiveKernelBasic") ? new SelectiveKernelBasicSpec(SkOptions(c))
            : reference.Contains("block=Bottleneck") ? new BottleneckSpec(cardinality, baseWidth ?? 64, c.String("attn") == "se" ? Attention.SqueezeExcite : null)
            : reference.Contains("BasicBlock") ? new BasicBlockSpec()
            : throw new NotSupportedException($"No block for '{reference}'.");
        return new ResNetConfig(block, c.Ints("layers"))
        {
            Channels = c.Ints("channels"),
            NumClasses = c.Int("num_classes"),
            StemType = c.String("stem_type") == "deep" ? StemType.Deep : StemType.Default,
            StemWidth = c.Int("stem_width", 64),
            AvgDown = c.Bool("avg_down", false),
        };
    }

    private static SelectiveKernelOptions SkOptions(FixtureCase c)
    {
        var sk = c.Args.GetProperty("sk_kwargs");
        return new SelectiveKernelOptions(ReductionRatio: sk.GetProperty("rd_ratio").GetDouble(),
            ReductionDivisor: sk.GetProperty("rd_divisor").GetInt32(), SplitInput: sk.GetProperty("split_input").GetBoolean());
    }
}
