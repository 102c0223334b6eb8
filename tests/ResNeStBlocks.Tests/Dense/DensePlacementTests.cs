using System;
using FluentAssertions;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Tests.Devices;
using ResNeStBlocks.Zoo;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Dense;

/// <summary>
/// The necks, heads and segmentation models create every tensor on the input's device and dtype: built first, then run
/// in train mode (with a backward pass) and eval mode with the default device switched to meta or the default dtype to
/// float64, where a tensor created without the input's placement fails or shows.
/// </summary>
[Collection(IsolatedCollection.Name)]
public class DensePlacementTests
{
    [Theory]
    [InlineData(SegmentationHeadType.DeepLabV3, "meta device")]
    [InlineData(SegmentationHeadType.Fcn, "meta device")]
    [InlineData(SegmentationHeadType.DeepLabV3Plus, "meta device")]
    [InlineData(SegmentationHeadType.DeepLabV3, "float64 dtype")]
    [InlineData(SegmentationHeadType.DeepLabV3Plus, "float64 dtype")]
    public void Segmentation_models_keep_the_inputs_placement(SegmentationHeadType head, string switched)
    {
        var backbone = ModelZoo.Config("resnest14d") with { Channels = new[] { 8, 16, 16, 24 }, StemWidth = 8, OutputStride = 8 };
        using var model = SegmentationModels.Create(head, backbone, numClasses: 3);
        using var input = randn(new long[] { 2, 3, 36, 44 }, generator: new Generator(21));
        Switched(switched, () =>
        {
            using var scope = NewDisposeScope();
            model.train();
            var train = model.ForwardWithAux(input);
            PlacementSweep.Expect(train.Out, input, $"{head} out (train)");
            PlacementSweep.Expect(train.Aux!, input, $"{head} aux (train)");
            train.Out.square().mean().add(train.Aux!.square().mean()).backward();
            model.eval();
            using var _ = no_grad();
            PlacementSweep.Expect(model.call(input), input, $"{head} out (eval)");
        });
    }

    [Theory]
    [InlineData("meta device")]
    [InlineData("float64 dtype")]
    public void Pyramids_keep_the_inputs_placement(string switched)
    {
        using var pool = new FeaturePyramidNetwork(new[] { 4, 8, 16 }, 8, new LastLevelMaxPool(), batchNorm: true);
        using var p6p7 = new FeaturePyramidNetwork(new[] { 4, 8, 16 }, 8, new LastLevelP6P7(16, 8));
        var generator = new Generator(22);
        using var c3 = randn(new long[] { 2, 4, 16, 12 }, generator: generator);
        using var c4 = randn(new long[] { 2, 8, 8, 6 }, generator: generator);
        using var c5 = randn(new long[] { 2, 16, 4, 3 }, generator: generator);
        Switched(switched, () =>
        {
            using var scope = NewDisposeScope();
            foreach (var fpn in new[] { pool, p6p7 })
            {
                fpn.train();
                var levels = fpn.call(new[] { c3, c4, c5 });
                foreach (var name in levels.Names)
                    PlacementSweep.Expect(levels[name], c3, $"level {name}");
            }
        });
    }

    private static void Switched(string switched, Action action)
    {
        if (switched == "meta device")
            DefaultPlacement.WithDevice(DefaultPlacement.Meta, action);
        else
            DefaultPlacement.WithDType(ScalarType.Float64, action);
        get_default_device().type.Should().Be(DeviceType.CPU);
        get_default_dtype().Should().Be(ScalarType.Float32);
    }
}
