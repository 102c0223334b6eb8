using System;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Blocks;
using ResNeStBlocks.Layers;
using static TorchSharp.torch;

namespace ResNeStBlocks.Testing;

/// <summary>
/// The one mapper from a timm fixture case (its reference and args) to the library: a block spec with timm's
/// defaults for every argument a case leaves out, a layer or block for blocks/* cases, a ResNetConfig for models/* cases.
/// </summary>
public static class TimmModules
{
    /// <summary>The library module for a blocks/* case.</summary>
    public static nn.Module<Tensor, Tensor> Build(FixtureCase c) => c.Reference switch
    {
        "timm.layers.SEModule" => new SqueezeExcite(c.Int("channels"), c.Double("rd_ratio", 1.0 / 16), c.Int("rd_divisor", 8)),
        "timm.layers.SelectiveKernel" => new SelectiveKernel(c.Int("in_channels"), c.Int("out_channels"), c.Ints("kernel_size"),
            c.Int("stride", 1), c.Int("dilation", 1), c.Int("groups", 1), c.Double("rd_ratio", 1.0 / 16), c.Int("rd_divisor", 8),
            keepThreeByThree: c.Bool("keep_3x3", true), splitInput: c.Bool("split_input", true)),
        "timm.layers.SplitAttn" => new SplitAttention(c.Int("in_channels"), c.Int("out_channels"), new SplitAttentionOptions(
            c.Int("kernel_size", 3), c.Int("stride", 1), c.Int("padding", 1), c.Int("dilation", 1), c.Int("groups", 1), c.Int("radix", 2),
            c.Double("rd_ratio", 0.25), c.Int("rd_divisor", 8), MinAttentionChannels: c.Int("min_attn_channels", 32),
            UseNorm: c.String("norm") == "BatchNorm2d")),
        _ => BuildBlock(c),
    };

    /// <summary>The architecture of a models/* case.</summary>
    public static ResNetConfig Config(FixtureCase c) => new(Spec(c), c.Ints("layers"))
    {
        Channels = c.Ints("channels"),
        NumClasses = c.Int("num_classes"),
        StemType = c.String("stem_type") == "deep" ? StemType.Deep : StemType.Default,
        StemWidth = c.Int("stem_width", 64),
        AvgDown = c.Bool("avg_down", false),
    };

    /// <summary>The block spec of a block or model case, with timm's default for every argument the case leaves out.</summary>
    public static BlockSpec Spec(FixtureCase c)
    {
        int cardinality = c.Int("cardinality", 1);
        AttentionFactory? attention = c.Reference.Contains("attn_layer='se'") || (c.String("attn")?.StartsWith("se") ?? false)
            ? Attention.SqueezeExcite
            : null;
        return BlockName(c.Reference) switch
        {
            "ResNestBottleneck" => new ResNeStSpec(c.Int("radix", 2), cardinality, c.Int("base_width", 64), c.Bool("avd", false), c.Bool("avd_first", false)),
            "Bottle2neck" => new Res2NetSpec(cardinality, c.Int("base_width", 26), c.Int("scale", 4), attention),
            "Bottleneck" => new BottleneckSpec(cardinality, c.Int("base_width", 64), attention),
            "BasicBlock" => new BasicBlockSpec(attention),
            "SelectiveKernelBasic" => new SelectiveKernelBasicSpec(SelectiveKernel(c), attention),
            "SelectiveKernelBottleneck" => new SelectiveKernelBottleneckSpec(cardinality, c.Int("base_width", 64), SelectiveKernel(c), attention),
            var other => throw new NotSupportedException($"No library block for timm block '{other}' ({c.Name}: {c.Reference})."),
        };
    }

    private static nn.Module<Tensor, Tensor> BuildBlock(FixtureCase c)
    {
        var spec = Spec(c);
        int inPlanes = c.Int("inplanes"), planes = c.Int("planes"), stride = c.Int("stride", 1);
        int outChannels = planes * spec.Expansion;
        // The fixtures name the shortcut in words (args.downsample or the reference's "+ downsample_avg").
        bool average = c.Reference.Contains("downsample_avg") || (c.String("downsample")?.StartsWith("ResNet-D") ?? false);
        nn.Module<Tensor, Tensor>? downsample = stride == 1 && inPlanes == outChannels ? null
            : average ? Downsample.Average(inPlanes, outChannels, stride)
            : Downsample.Convolution(inPlanes, outChannels, 1, stride);
        return spec.Create(inPlanes, planes, new BlockPlacement(stride, downsample));
    }

    /// <summary>The timm block class in <c>timm.models.resnest.ResNestBottleneck + ...</c> or <c>timm ResNet(block=Bottleneck, ...)</c>.</summary>
    private static string BlockName(string reference)
    {
        const string Models = "timm.models.", Block = "block=";
        int block = reference.IndexOf(Block, StringComparison.Ordinal);
        string rest = block >= 0 ? reference[(block + Block.Length)..]
            : reference.StartsWith(Models, StringComparison.Ordinal) ? reference[(reference.IndexOf('.', Models.Length) + 1)..]
            : reference;
        int stop = rest.IndexOfAny(new[] { ',', ')', ' ', '(' });
        return stop < 0 ? rest : rest[..stop];
    }

    /// <summary>timm's <c>sk_kwargs</c>, each missing entry at timm's default.</summary>
    private static SelectiveKernelOptions SelectiveKernel(FixtureCase c)
    {
        if (!c.Args.TryGetProperty("sk_kwargs", out var sk))
            return SelectiveKernelOptions.Default;
        return new SelectiveKernelOptions(
            ReductionRatio: sk.TryGetProperty("rd_ratio", out var r) ? r.GetDouble() : 1.0 / 16,
            ReductionDivisor: sk.TryGetProperty("rd_divisor", out var d) ? d.GetInt32() : 8,
            SplitInput: !sk.TryGetProperty("split_input", out var s) || s.GetBoolean());
    }
}
