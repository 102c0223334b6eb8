using System;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Blocks;
using Xunit;

namespace ResNeStBlocks.Tests.Blocks;

/// <summary>A shortcut built for other channels is refused when the block is built, not by libtorch at the first forward.</summary>
public sealed class ShortcutValidationTests
{
    [Fact]
    public void A_shortcut_whose_input_channels_differ_from_the_blocks_input_is_refused_with_the_fix()
    {
        FluentActions.Invoking(() => new BasicBlock(128, 256, new BasicBlockSpec(),
                new BlockPlacement(Stride: 2, Downsample: Downsample.Average(256, 256, stride: 2))))
            .Should().ThrowExactly<ArgumentException>().WithMessage(
                "BasicBlock takes 128 channels and makes 256, but its shortcut (placement.Downsample) takes 256 and makes 256; " +
                "pass Downsample.Convolution(128, 256, stride: 2) (or Downsample.Average(128, 256, stride: 2) for a ResNet-D shortcut). (Parameter 'placement')");
    }

    [Fact]
    public void A_shortcut_with_the_wrong_output_channels_is_refused_too()
    {
        FluentActions.Invoking(() => new ResNeStBottleneck(64, 64, new ResNeStSpec(),
                new BlockPlacement(Downsample: Downsample.Convolution(64, 128))))
            .Should().ThrowExactly<ArgumentException>().WithMessage(
                "ResNeStBottleneck takes 64 channels and makes 256, but its shortcut (placement.Downsample) takes 64 and makes 128; " +
                "pass Downsample.Convolution(64, 256) (or Downsample.Average(64, 256) for a ResNet-D shortcut). (Parameter 'placement')");
    }
}
