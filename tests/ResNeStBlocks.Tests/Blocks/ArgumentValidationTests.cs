using System;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Blocks;
using ResNeStBlocks.Layers;
using TorchSharp;
using Xunit;

namespace ResNeStBlocks.Tests.Blocks;

/// <summary>Impossible constructor arguments fail with ArgumentException naming the parameter and the rule, before any tensor exists.</summary>
public class ArgumentValidationTests
{
    private static void ShouldRejectWithoutAllocating(Action create, string parameter, string message)
    {
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        create.Should().Throw<ArgumentException>().WithParameterName(parameter).WithMessage(message);
        DisposeScopeManager.Statistics.ThreadTotalLiveCount.Should().Be(before, "no tensor may be allocated before validation fails");
    }

    [Fact]
    public void Split_attention_channels_must_divide_by_groups_times_radix() =>
        ShouldRejectWithoutAllocating(() => new SplitAttention(60, options: new SplitAttentionOptions(Groups: 4, Radix: 4)), "inChannels",
            "inChannels (60) must be divisible by groups x radix (16).*");

    [Fact]
    public void ResNeSt_width_must_divide_by_cardinality_times_radix() =>
        ShouldRejectWithoutAllocating(() => new ResNeStBottleneck(64, 32, new ResNeStSpec(Radix: 4, Cardinality: 2, BaseWidth: 36)), "BaseWidth",
            "floor(planes * baseWidth / 64) * cardinality (36) must be divisible by cardinality x radix (8).*");

    [Fact]
    public void Res2Net_scale_must_be_at_least_one() =>
        ShouldRejectWithoutAllocating(() => new Res2NetBottleneck(64, 16, new Res2NetSpec(Scale: 0)), "Scale", "Scale must be at least 1, got 0.*");

    [Theory]
    [InlineData(4)]
    [InlineData(1)]
    public void Selective_kernel_sizes_must_be_odd_and_at_least_three(int kernel) =>
        ShouldRejectWithoutAllocating(() => new SelectiveKernel(32, 32, new[] { 3, kernel }), "kernelSizes",
            $"kernelSizes must be odd and at least 3, got {kernel}.*");

    [Fact]
    public void Selective_kernel_split_input_needs_channels_divisible_by_the_kernel_count() =>
        ShouldRejectWithoutAllocating(() => new SelectiveKernel(33, 32, new[] { 3, 5 }), "inChannels",
            "inChannels (33) must be divisible by the number of kernels (2).*");

    [Fact]
    public void Squeeze_excite_ratio_must_be_in_the_unit_interval() =>
        ShouldRejectWithoutAllocating(() => new SqueezeExcite(64, reductionRatio: 0), "reductionRatio", "reductionRatio must be in (0, 1], got 0.*");

    [Fact]
    public void Bottleneck_width_must_divide_by_cardinality()
    {
        // planes 16, base width 6, cardinality 3 -> floor(16 * 6 / 64) * 3 = 3, divisible; reduce_first 2 -> 1, not divisible by 3.
        ShouldRejectWithoutAllocating(() => new Bottleneck(64, 16, new BottleneckSpec(Cardinality: 3, BaseWidth: 6) { ReduceFirst = 2 }), "ReduceFirst",
            "width / reduceFirst (1) must be divisible by cardinality (3).*");
    }

    [Fact]
    public void Group_width_must_not_round_to_zero() =>
        ShouldRejectWithoutAllocating(() => new Res2NetBottleneck(64, 2, new Res2NetSpec(BaseWidth: 26)), "BaseWidth",
            "floor(planes * baseWidth / 64) * cardinality must be at least 1, got 0.*");

    [Fact]
    public void Output_stride_must_be_8_16_or_32() =>
        ShouldRejectWithoutAllocating(() => new ResNet(new ResNetConfig(new ResNeStSpec(), new[] { 1, 1, 1, 1 }) { OutputStride = 4 }),
            "OutputStride", "OutputStride must be 8, 16 or 32, got 4.*");

    [Fact]
    public void Layers_and_channels_must_have_the_same_length() =>
        ShouldRejectWithoutAllocating(() => new ResNet(new ResNetConfig(new BasicBlockSpec(), new[] { 1, 1, 1 })), "Channels",
            "Layers (3 stages) and Channels (4 stages) must have the same length.*");

    [Fact]
    public void Drop_path_rate_must_be_a_probability() =>
        ShouldRejectWithoutAllocating(() => new ResNet(new ResNetConfig(new BasicBlockSpec(), new[] { 1, 1, 1, 1 }) { DropPathRate = 1.0 }),
            "DropPathRate", "DropPathRate must be in [0, 1), got 1.*");

    [Fact]
    public void Split_attention_width_must_divide_by_its_groups() =>
        // 48 channels, 3 groups, radix 1: make_divisible(48 * 0.25, 8, min 32) = 32 attention channels, not divisible by 3.
        ShouldRejectWithoutAllocating(() => new SplitAttention(48, options: new SplitAttentionOptions(Groups: 3, Radix: 1)), "ReductionRatio",
            "the attention width (32) must be divisible by groups (3).*");

    [Fact]
    public void A_network_whose_blocks_cannot_be_built_allocates_nothing() =>
        // Stage 1 (planes 64): width floor(64 * 4 / 64) * 3 = 12, not divisible by 3 x 5; every position is checked before the stem exists.
        ShouldRejectWithoutAllocating(() => new ResNet(new ResNetConfig(new ResNeStSpec(Radix: 5, Cardinality: 3, BaseWidth: 4), new[] { 1, 1, 1, 1 })),
            "BaseWidth", "floor(planes * baseWidth / 64) * cardinality (12) must be divisible by cardinality x radix (15).*");

    [Fact]
    public void A_network_whose_block_fails_while_building_disposes_what_it_built() =>
        // The Selective Kernel checks its kernels when it is built, after the stem: the stem must not leak.
        ShouldRejectWithoutAllocating(() => new ResNet(new ResNetConfig(
                new SelectiveKernelBasicSpec(new SelectiveKernelOptions(KernelSizes: new[] { 3, 4 })), new[] { 1, 1, 1, 1 })),
            "kernelSizes", "kernelSizes must be odd and at least 3, got 4.*");

    [Fact]
    public void A_block_that_changes_channels_needs_a_shortcut() =>
        ShouldRejectWithoutAllocating(() => new Bottleneck(64, 64), "placement",
            "Bottleneck changes 64 channels to 256, but no shortcut projection matches its input to its output; " +
            "pass new BlockPlacement(Downsample: Downsample.Convolution(64, 256)) (or Downsample.Average(64, 256) for a ResNet-D shortcut).*");

    [Fact]
    public void A_strided_block_needs_a_shortcut() =>
        ShouldRejectWithoutAllocating(() => new ResNeStBottleneck(256, 64, placement: new BlockPlacement(Stride: 2)), "placement",
            "ResNeStBottleneck has stride 2, but no shortcut projection matches its input to its output; " +
            "pass new BlockPlacement(Stride: 2, Downsample: Downsample.Convolution(256, 256, stride: 2)) " +
            "(or Downsample.Average(256, 256, stride: 2) for a ResNet-D shortcut).*");

    [Fact]
    public void The_suggested_shortcut_builds_the_block()
    {
        using var block = new ResNeStBottleneck(256, 64, placement: new BlockPlacement(Stride: 2, Downsample: Downsample.Convolution(256, 256, stride: 2)));
        block.OutChannels.Should().Be(256);
    }

    [Fact]
    public void Make_divisible_follows_timm()
    {
        ChannelMath.MakeDivisible(64 / 16.0, 8).Should().Be(8);
        ChannelMath.MakeDivisible(256 / 16.0, 1, roundLimit: 0).Should().Be(16);
        ChannelMath.MakeDivisible(2 * 64 * 0.25, 8, minValue: 32).Should().Be(32);
        ChannelMath.MakeDivisible(80 * 4 * 0.25, 8, minValue: 32).Should().Be(80);
        ChannelMath.MakeDivisible(10, 8).Should().Be(16, "rounding 10 down to 8 loses more than 10%, so timm bumps it");
        ChannelMath.MakeDivisible(36, 8).Should().Be(40);
        FluentActions.Invoking(() => ChannelMath.MakeDivisible(8, 0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("divisor");
    }
}
