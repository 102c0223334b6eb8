using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Zoo;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Backbones;

/// <summary>output_stride 8 and 16: later stages dilate instead of striding, following timm's rules.</summary>
public class OutputStrideTests
{
    [Theory]
    [InlineData(8, new[] { 4, 8, 8, 8 })]
    [InlineData(16, new[] { 4, 8, 16, 16 })]
    [InlineData(32, new[] { 4, 8, 16, 32 })]
    public void Stage_reductions_and_shapes_follow_the_output_stride(int outputStride, int[] reductions)
    {
        using var scope = NewDisposeScope();
        using var model = ModelZoo.Create("resnest14d", 10, c => c with { OutputStride = outputStride });
        model.FeatureInfo.Select(f => f.Reduction).Should().Equal(reductions);
        model.StemInfo.Should().Be(new FeatureInfo("act1", 64, 2));
        model.eval();
        using var _ = no_grad();
        var stages = model.ForwardStages(randn(1, 3, 64, 64));
        stages.Select(s => s.shape[2]).Should().Equal(reductions.Select(r => (long)(64 / r)));
        stages.Select(s => s.shape[1]).Should().Equal(256L, 512L, 1024L, 2048L);
        model.forward(randn(1, 3, 64, 64)).shape.Should().Equal(1, 10);
    }

    /// <summary>
    /// Without pooling inside the blocks, a dilated stage computes exactly the strided stage's values at
    /// every other position: conv(stride 2) then conv(dilation 1) equals conv(stride 1) then conv(dilation 2)
    /// subsampled by 2. This holds only with timm's placement of dilations (first_dilation of each stage's
    /// first block is the previous stage's dilation; downsample convs keep kernel 1 and stride 1).
    /// </summary>
    [Theory]
    [InlineData("tiny_resnet_basic", 16)]
    [InlineData("tiny_resnet_basic", 8)]
    public void Dilated_features_equal_the_strided_features_at_the_strided_positions(string name, int outputStride)
    {
        var c = Fixtures.Case(name);
        using var scope = NewDisposeScope();
        using var strided = new ResNet(TimmModules.Config(c));
        using var dilated = new ResNet(TimmModules.Config(c) with { OutputStride = outputStride });
        string weights = Fixtures.File("timm", c.WeightsFile);
        strided.LoadWeights(weights);
        dilated.LoadWeights(weights);
        strided.eval();
        dilated.eval();
        using var _ = no_grad();
        var input = ResNeStBlocks.Weights.SafeTensors.Load(Fixtures.File("timm", c.IoFile))["input"];
        var reference = strided.ForwardStages(input);
        var features = dilated.ForwardStages(input);
        var (atol, rtol) = Fixtures.Tolerance;
        for (int stage = 0; stage < 4; stage++)
        {
            long step = features[stage].shape[2] / reference[stage].shape[2];
            var sampled = features[stage][TensorIndex.Ellipsis, TensorIndex.Slice(0, null, step), TensorIndex.Slice(0, null, step)];
            TensorAssert.Close(sampled, reference[stage], atol, rtol, $"{name} OS{outputStride} layer{stage + 1}");
        }
    }
}
