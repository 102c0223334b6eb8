using System;
using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Zoo;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Dense;

/// <summary>The pyramid on a backbone's stages: names, shapes, and its argument and input checks.</summary>
public class FeaturePyramidTests
{
    private static ResNet TinyBackbone() =>
        new(ModelZoo.Config("resnest14d") with { Channels = new[] { 8, 16, 16, 24 }, StemWidth = 8, NumClasses = 0 });

    [Fact]
    public void Composes_with_ForwardStages_like_torchvisions_resnet_fpn_backbone()
    {
        using var backbone = TinyBackbone();
        using var fpn = new FeaturePyramidNetwork(backbone.FeatureInfo.Select(f => f.Channels).ToArray(), 32, new LastLevelMaxPool());
        backbone.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var stages = backbone.ForwardStages(randn(new long[] { 2, 3, 64, 96 }, generator: new Generator(3)));
        var pyramid = fpn.call(stages);
        pyramid.Names.Should().Equal("0", "1", "2", "3", "pool");
        pyramid.Select(level => level.shape).Should().BeEquivalentTo(new[]
        {
            new long[] { 2, 32, 16, 24 }, new long[] { 2, 32, 8, 12 }, new long[] { 2, 32, 4, 6 }, new long[] { 2, 32, 2, 3 }, new long[] { 2, 32, 1, 2 },
        }, options => options.WithStrictOrdering());
        pyramid["pool"].shape.Should().Equal(2, 32, 1, 2);
    }

    [Fact]
    public void Names_of_a_FeatureMaps_input_are_kept_and_P6_P7_appended()
    {
        using var fpn = new FeaturePyramidNetwork(new[] { 4, 8 }, 8, new LastLevelP6P7(8, 8));
        using var scope = NewDisposeScope();
        var generator = new Generator(5);
        var input = new FeatureMaps(new[] { "c4", "c5" }, new[] { randn(new long[] { 1, 4, 8, 8 }, generator: generator), randn(new long[] { 1, 8, 4, 4 }, generator: generator) });
        var pyramid = fpn.call(input);
        pyramid.Names.Should().Equal("c4", "c5", "p6", "p7");
        pyramid["p7"].shape.Should().Equal(1, 8, 1, 1);
        FluentActions.Invoking(() => pyramid["p8"]).Should().Throw<KeyNotFoundException>()
            .WithMessage("No feature map named 'p8'; the names are c4, c5, p6, p7.");
    }

    [Fact]
    public void Wrong_number_of_maps_is_rejected()
    {
        using var fpn = new FeaturePyramidNetwork(new[] { 4, 8, 16 }, 8);
        using var scope = NewDisposeScope();
        FluentActions.Invoking(() => fpn.call(new[] { zeros(1, 4, 8, 8), zeros(1, 8, 4, 4) }))
            .Should().Throw<ArgumentException>().WithParameterName("input")
            .WithMessage("FeaturePyramidNetwork expects 3 feature maps (channels 4, 8, 16), got 2. (Parameter 'input')");
    }

    [Fact]
    public void Wrong_channels_name_the_level()
    {
        using var fpn = new FeaturePyramidNetwork(new[] { 4, 8 }, 8);
        using var scope = NewDisposeScope();
        FluentActions.Invoking(() => fpn.call(new FeatureMaps(new[] { "c4", "c5" }, new[] { zeros(1, 4, 8, 8), zeros(1, 16, 4, 4) })))
            .Should().Throw<ArgumentException>().WithParameterName("input")
            .WithMessage("FeaturePyramidNetwork input 1 ('c5') expects 8 input channels, got 16 (shape [1, 16, 4, 4]). (Parameter 'input')");
        FluentActions.Invoking(() => fpn.call(new[] { zeros(1, 4, 8, 8), zeros(new long[] { 1, 8, 4, 4 }, ScalarType.Float64) }))
            .Should().Throw<ArgumentException>().WithParameterName("input")
            .WithMessage("FeaturePyramidNetwork input 1 ('1') has Float32 weights but the input is Float64; cast the input first: input.to_type(ScalarType.Float32). (Parameter 'input')");
    }

    [Fact]
    public void Different_batch_sizes_are_rejected()
    {
        using var fpn = new FeaturePyramidNetwork(new[] { 4, 8 }, 8);
        using var scope = NewDisposeScope();
        FluentActions.Invoking(() => fpn.call(new[] { zeros(2, 4, 8, 8), zeros(1, 8, 4, 4) }))
            .Should().Throw<ArgumentException>().WithParameterName("input")
            .WithMessage("FeaturePyramidNetwork inputs must share one batch size: input 0 ('0') has 2 images, input 1 ('1') has 1. (Parameter 'input')");
    }

    [Fact]
    public void P6P7_that_does_not_fit_the_pyramid_is_rejected_when_built()
    {
        FluentActions.Invoking(() => new FeaturePyramidNetwork(new[] { 4, 8 }, 16, new LastLevelP6P7(32, 16)))
            .Should().Throw<ArgumentException>().WithParameterName("extraBlocks")
            .WithMessage("LastLevelP6P7(32, 16) reads C5, which has 8 channels; create it as LastLevelP6P7(8, 16) (C5), or LastLevelP6P7(16, 16) to read P5. (Parameter 'extraBlocks')");
        FluentActions.Invoking(() => new FeaturePyramidNetwork(new[] { 4, 8 }, 16, new LastLevelP6P7(8, 8)))
            .Should().Throw<ArgumentException>().WithParameterName("extraBlocks")
            .WithMessage("LastLevelP6P7(8, 8) reads P5, which has the pyramid's 16 channels; create it as LastLevelP6P7(16, 16). (Parameter 'extraBlocks')");
    }

    [Fact]
    public void Empty_or_non_positive_channel_lists_are_rejected()
    {
        FluentActions.Invoking(() => new FeaturePyramidNetwork(Array.Empty<int>(), 8))
            .Should().Throw<ArgumentException>().WithParameterName("inChannelsList")
            .WithMessage("inChannelsList must name at least one input map. (Parameter 'inChannelsList')");
        FluentActions.Invoking(() => new FeaturePyramidNetwork(new[] { 4, 0 }, 8))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("inChannelsList")
            .WithMessage("inChannelsList must be at least 1, got 0.*");
    }

    [Fact]
    public void FeatureMaps_rejects_mismatched_and_repeated_names()
    {
        using var scope = NewDisposeScope();
        var map = zeros(1, 1, 1, 1);
        FluentActions.Invoking(() => new FeatureMaps(new[] { "a" }, new[] { map, map }))
            .Should().Throw<ArgumentException>().WithParameterName("names")
            .WithMessage("Got 1 names for 2 feature maps; give one name per map. (Parameter 'names')");
        FluentActions.Invoking(() => new FeatureMaps(new[] { "a", "a" }, new[] { map, map }))
            .Should().Throw<ArgumentException>().WithParameterName("names")
            .WithMessage("Feature map name 'a' appears twice; names must be distinct. (Parameter 'names')");
        FeatureMaps.Numbered(new[] { map, map, map }).Names.Should().Equal("0", "1", "2");
    }
}
