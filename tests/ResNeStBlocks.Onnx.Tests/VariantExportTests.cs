using System.Collections.Generic;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Blocks;
using ResNeStBlocks.Layers;
using ResNeStBlocks.Onnx.Tests.Support;
using ResNeStBlocks.Testing;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Onnx.Tests;

/// <summary>Block and stem settings that no timm fixture covers: radix 0, Res2Net scales 1 and 2, more SK kernels, every stem.</summary>
public class VariantExportTests
{
    public static IEnumerable<object[]> Modules() => new[]
    {
        new object[] { "ResNeSt radix 0, avd at stride 1 (is_first)" },
        new object[] { "ResNeSt radix 1, cardinality 4, avd first" },
        new object[] { "Res2Net scale 1" },
        new object[] { "Res2Net scale 1, stage form (stride 2)" },
        new object[] { "Res2Net scale 2" },
        new object[] { "basic block, reduce_first 2, SE" },
        new object[] { "SK basic, kernels 3/5/7, no keep_3x3, no split" },
        new object[] { "stem 7x7" },
        new object[] { "stem deep" },
        new object[] { "stem deep tiered" },
    };

    [Theory]
    [MemberData(nameof(Modules))]
    public void Module_export_equals_the_library(string what)
    {
        manual_seed(17);
        using var module = Build(what);
        RandomNorms.Randomize(module, 17);
        long channels = what.StartsWith("stem") ? 3 : 64;
        OnnxAssert.MatchesEval(module, new[] { channels, 20L, 20L }, what,
            new OnnxExportOptions { InputHeight = 20, InputWidth = 20 });
    }

    [Fact]
    public void Backbone_with_radix_0_deep_tiered_stem_and_avg_down_equals_the_library()
    {
        manual_seed(19);
        using var model = new ResNet(new ResNetConfig(new ResNeStSpec(Radix: 0, Cardinality: 2), new[] { 2, 1, 1, 1 })
        {
            Channels = new[] { 16, 32, 64, 128 },
            StemType = StemType.DeepTiered,
            StemWidth = 16,
            AvgDown = true,
            NumClasses = 5,
        });
        RandomNorms.Randomize(model, 19);
        OnnxAssert.MatchesEval(model, new long[] { 3, 40, 40 }, "radix-0 backbone", new OnnxExportOptions { InputHeight = 40, InputWidth = 40 });
    }

    private static nn.Module<Tensor, Tensor> Build(string what) => what switch
    {
        "ResNeSt radix 0, avd at stride 1 (is_first)" => new ResNeStBottleneck(64, 16, new ResNeStSpec(Radix: 0, Cardinality: 2) { IsFirst = true }),
        "ResNeSt radix 1, cardinality 4, avd first" => new ResNeStBottleneck(64, 16,
            new ResNeStSpec(Radix: 1, Cardinality: 4, AvdFirst: true) { IsFirst = true }),
        "Res2Net scale 1" => new Res2NetBottleneck(64, 16, new Res2NetSpec(BaseWidth: 26, Scale: 1)),
        "Res2Net scale 1, stage form (stride 2)" => new Res2NetBottleneck(64, 16, new Res2NetSpec(BaseWidth: 26, Scale: 1),
            new BlockPlacement(Stride: 2, Downsample: Downsample.Convolution(64, 64, 1, 2))),
        "Res2Net scale 2" => new Res2NetBottleneck(64, 16, new Res2NetSpec(BaseWidth: 48, Scale: 2)),
        "basic block, reduce_first 2, SE" => new BasicBlock(64, 64, new BasicBlockSpec(Attention.SqueezeExcite) { ReduceFirst = 2 }),
        "SK basic, kernels 3/5/7, no keep_3x3, no split" => new SelectiveKernelBasicBlock(64, 64,
            new SelectiveKernelBasicSpec(new SelectiveKernelOptions(new[] { 3, 5, 7 }, KeepThreeByThree: false, SplitInput: false))),
        "stem 7x7" => StemOnly(StemType.Default),
        "stem deep" => StemOnly(StemType.Deep),
        "stem deep tiered" => StemOnly(StemType.DeepTiered),
        _ => throw new KeyNotFoundException(what),
    };

    /// <summary>A narrow one-block-per-stage backbone whose only difference from the next is its stem.</summary>
    private static ResNet StemOnly(StemType stem) => new(new ResNetConfig(new BasicBlockSpec(), new[] { 1, 1, 1, 1 })
    {
        Channels = new[] { 8, 8, 8, 8 },
        StemType = stem,
        StemWidth = 16,
        NumClasses = 0,
    });
}
