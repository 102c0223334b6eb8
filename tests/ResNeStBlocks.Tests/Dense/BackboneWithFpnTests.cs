using System;
using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Inference;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Weights;
using ResNeStBlocks.Zoo;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Dense;

/// <summary>
/// Every backbones/* case: torchvision's BackboneWithFPN (keys body.* and fpn.*) over its reduced ResNet, as Faster R-CNN v2
/// and RetinaNet v2 compose it; and the composition's own checks.
/// </summary>
public class BackboneWithFpnTests
{
    public static IEnumerable<object[]> Cases() => TorchvisionFixtures.In("backbones");

    [Fact]
    public void Both_backbone_cases_are_present() =>
        Cases().Select(row => (string)row[0]).Should().BeEquivalentTo("fpn_backbone_pool_bn", "fpn_backbone_p6p7_c5");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Keys_shapes_and_parameters_equal_torchvision(string name)
    {
        var c = TorchvisionFixtures.Case(name);
        using var backbone = DenseModules.FpnBackbone(c);
        StateDictListing.Of(backbone).Should().BeEquivalentTo(c.StateDict);
        StateDictListing.Parameters(backbone).Should().Be(c.Params);
        backbone.ReturnedLayers.Should().Equal(c.Ints("returned_layers"));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Eval_levels_and_names_equal_torchvision(string name) => Check(name, train: false);

    [Fact]
    public void Train_levels_equal_torchvision() => Check("fpn_backbone_pool_bn", train: true);

    [Fact]
    public void Folding_folds_the_ResNet_and_keeps_the_levels()
    {
        var c = TorchvisionFixtures.Case("fpn_backbone_pool_bn");
        using var scope = NewDisposeScope();
        using var backbone = DenseModules.FpnBackbone(c);
        backbone.LoadWeights(c.WeightsPath);
        var io = c.LoadIo();
        backbone.eval();
        using var _ = no_grad();
        var before = backbone.call(io["input"]);

        int resNetNorms = backbone.Body.modules().OfType<TorchSharp.Modules.BatchNorm2d>().Count();
        int pyramidNorms = backbone.Fpn.modules().OfType<TorchSharp.Modules.BatchNorm2d>().Count();
        backbone.FoldBatchNorm();

        backbone.Body.modules().OfType<TorchSharp.Modules.BatchNorm2d>().Should().BeEmpty("the ResNet's {0} BatchNorms fold", resNetNorms);
        backbone.Fpn.modules().OfType<TorchSharp.Modules.BatchNorm2d>().Should().HaveCount(pyramidNorms).And.HaveCount(8, "the pyramid keeps its own");
        var after = backbone.call(io["input"]);
        foreach (var level in before.Names)
            TensorAssert.Close(after[level], before[level], 1e-4, 1e-4, $"folded level {level}");
    }

    [Fact]
    public void Create_builds_the_ResNet_without_classifier_and_the_pyramid_over_the_returned_stages()
    {
        var config = ModelZoo.Config("resnest14d") with { Channels = new[] { 8, 16, 16, 24 }, StemWidth = 8 };
        using var backbone = BackboneWithFpn.Create(config, new LastLevelP6P7(96, 16), outChannels: 16, returnedLayers: new[] { 2, 3, 4 });
        backbone.Body.Config.Should().Be(config with { NumClasses = 0 });
        backbone.Fpn.InChannels.Should().Equal(64, 64, 96);
        backbone.OutChannels.Should().Be(16);
        StateDictListing.Of(backbone).Should().OnlyContain(k => k.StartsWith("body.", StringComparison.Ordinal) || k.StartsWith("fpn.", StringComparison.Ordinal));
        backbone.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var levels = backbone.call(randn(new long[] { 1, 3, 64, 96 }, generator: new Generator(11)));
        levels.Names.Should().Equal("0", "1", "2", "p6", "p7");
        levels.Select(level => level.shape).Should().BeEquivalentTo(new[]
        {
            new long[] { 1, 16, 8, 12 }, new long[] { 1, 16, 4, 6 }, new long[] { 1, 16, 2, 3 }, new long[] { 1, 16, 1, 2 }, new long[] { 1, 16, 1, 1 },
        }, options => options.WithStrictOrdering());
    }

    [Fact]
    public void Bad_compositions_are_rejected_with_the_fix()
    {
        var config = ModelZoo.Config("resnest14d") with { Channels = new[] { 8, 16, 16, 24 }, StemWidth = 8 };
        using var classifier = new ResNet(config with { NumClasses = 10 });
        using var body = new ResNet(config with { NumClasses = 0 });
        using var pyramid = new FeaturePyramidNetwork(new[] { 64, 64, 96 }, 16);

        FluentActions.Invoking(() => new BackboneWithFpn(classifier, pyramid, new[] { 2, 3, 4 })).Should().Throw<ArgumentException>().WithParameterName("body")
            .WithMessage("The ResNet has a classifier (fc, 10 classes), which a feature pyramid does not use; build it without one: " +
                         "NumClasses = 0 in its ResNetConfig, or ModelZoo.Create(name, numClasses: 0). (Parameter 'body')");
        FluentActions.Invoking(() => new BackboneWithFpn(body, pyramid)).Should().Throw<ArgumentException>().WithParameterName("fpn")
            .WithMessage("The pyramid reads maps of 64, 64, 96 channels, but stages 1, 2, 3, 4 of the ResNet give 32, 64, 64, 96; " +
                         "create it with new FeaturePyramidNetwork(new[] { 32, 64, 64, 96 }, ...). (Parameter 'fpn')");
        FluentActions.Invoking(() => new BackboneWithFpn(body, pyramid, new[] { 3, 2, 4 })).Should().Throw<ArgumentException>().WithParameterName("returnedLayers")
            .WithMessage("returnedLayers must be stage numbers from 1 to 4 in increasing order, such as [2, 3, 4]; got [3, 2, 4]. (Parameter 'returnedLayers')");
        FluentActions.Invoking(() => BackboneWithFpn.Create(config, null, returnedLayers: new[] { 5 })).Should().Throw<ArgumentException>()
            .WithParameterName("returnedLayers");
    }

    [Fact]
    public void An_input_that_does_not_fit_is_rejected_before_any_native_call()
    {
        var config = ModelZoo.Config("resnest14d") with { Channels = new[] { 8, 16, 16, 24 }, StemWidth = 8 };
        using var backbone = BackboneWithFpn.Create(config, new LastLevelMaxPool(), outChannels: 16);
        using var grey = zeros(1, 1, 32, 32);
        FluentActions.Invoking(() => backbone.call(grey)).Should().Throw<ArgumentException>().WithParameterName("input")
            .WithMessage("BackboneWithFpn expects 3 input channels, got 1 (shape [1, 1, 32, 32]). (Parameter 'input')");
    }

    private static void Check(string name, bool train)
    {
        var c = TorchvisionFixtures.Case(name);
        using var scope = NewDisposeScope();
        using var backbone = DenseModules.FpnBackbone(c);
        backbone.LoadWeights(c.WeightsPath);
        var io = c.LoadIo();
        if (train)
            backbone.train();
        else
            backbone.eval();
        using var _ = no_grad();
        var levels = backbone.call(io["input"]);
        levels.Names.Should().Equal(c.Strings("output_names"));
        var (atol, rtol) = TorchvisionFixtures.Tolerance;
        string prefix = train ? "output_train." : "output.";
        foreach (var level in levels.Names)
            TensorAssert.Close(levels[level], io[prefix + level], atol, rtol, $"{name} {prefix}{level}");
    }
}
