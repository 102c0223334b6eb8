using System;
using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Inference;
using ResNeStBlocks.Testing;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Inference;

/// <summary>Channels-last conversion: same results as NCHW, and the NHWC layout carried through every stage.</summary>
/// <remarks>Run alone: the gradient comparison draws its input from the global generator, and a parallel test drawing
/// meanwhile would not change the verdict but would change the numbers it is given.</remarks>
[Collection(IsolatedCollection.Name)]
public class ChannelsLastTests
{
    public static IEnumerable<object[]> Families() => TinyFamilies.Names.Select(n => new object[] { n });

    [Theory]
    [MemberData(nameof(Families))]
    public void Outputs_equal_nchw_and_every_stage_stays_channels_last(string family)
    {
        var (reference, converted) = Pair(family);
        using (reference)
        using (converted)
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var input = randn(2, 3, 32, 32);
            var nhwc = ChannelsLast.ToChannelsLast(input);
            ChannelsLast.IsChannelsLast(nhwc).Should().BeTrue();
            ChannelsLast.IsChannelsLast(input).Should().BeFalse();

            var expectedStages = reference.ForwardStages(input);
            var stages = converted.ForwardStages(nhwc);
            for (int i = 0; i < stages.Count; i++)
            {
                ChannelsLast.IsChannelsLast(stages[i]).Should().BeTrue($"{family} stage {i + 1} has strides [{string.Join(", ", stages[i].stride())}]");
                TensorAssert.Close(stages[i], expectedStages[i], 1e-5, 1e-5, $"{family} stage {i + 1}");
            }
            TensorAssert.Close(converted.call(nhwc), reference.call(input), 1e-5, 1e-5, $"{family} logits");
        }
    }

    [Fact]
    public void Conversion_keeps_parameter_identity_and_values_and_gradients_follow()
    {
        // Float64: the two layouts sum in different orders, and in float32 a train-mode BatchNorm over few values per
        // channel amplifies that rounding to the size of the bound; in float64 only a real difference would reach it.
        var (reference, converted) = Pair("resnest_2s1x64d", ScalarType.Float64);
        using (reference)
        using (converted)
        {
            var before = converted.parameters().ToList();
            var weights = converted.parameters().Where(p => p.dim() == 4).ToList();
            weights.Should().OnlyContain(p => ChannelsLast.IsChannelsLast(p));
            converted.parameters().Should().Equal(before, ReferenceEquals);

            reference.train();
            converted.train();
            using var scope = NewDisposeScope();
            var input = randn(new long[] { 4, 3, 64, 64 }, ScalarType.Float64, generator: new Generator(64));
            reference.call(input).square().mean().backward();
            converted.call(ChannelsLast.ToChannelsLast(input)).square().mean().backward();
            // All gradients as one vector: a single small tensor (a bias whose gradient is a sum that nearly cancels)
            // would otherwise show large relative errors that are only rounding.
            var expected = cat(reference.parameters().Select(p => p.grad!.flatten()).ToList(), 0);
            var actual = cat(converted.parameters().Select(p => p.grad!.flatten()).ToList(), 0);
            double relative = (actual - expected).norm().item<double>() / expected.norm().item<double>();
            relative.Should().BeLessThan(1e-10, $"the gradients must match (relative L2 error over all parameters, {relative:E3})");
        }
    }

    [Fact]
    public void Layout_checks_follow_pytorch_rules()
    {
        using var scope = NewDisposeScope();
        ChannelsLast.IsChannelsLast(zeros(2, 3, 4, 5)).Should().BeFalse();
        ChannelsLast.IsChannelsLast(zeros(2, 4, 5, 3).permute(0, 3, 1, 2)).Should().BeTrue();
        ChannelsLast.IsChannelsLast(zeros(2, 1, 4, 5)).Should().BeTrue("with one channel both layouts coincide");
        ChannelsLast.IsChannelsLast(zeros(3, 4)).Should().BeFalse();
        var flat = () => ChannelsLast.ToChannelsLast(zeros(3, 4));
        flat.Should().Throw<ArgumentException>()
            .WithMessage("Only 4-D tensors [N, C, H, W] have a channels-last layout, got shape [3, 4]. (Parameter 'tensor')");
    }

    private static (ResNet Reference, ResNet Converted) Pair(string family, ScalarType dtype = ScalarType.Float32)
    {
        manual_seed(11);
        var reference = new ResNet(TinyFamilies.Config(family));
        reference.to(dtype);
        var converted = new ResNet(TinyFamilies.Config(family));
        converted.to(dtype);
        // The same weights by copy, not by re-seeding: another test may draw from the global generator in between.
        converted.load_state_dict(reference.state_dict());
        RandomizeNorms(reference, converted);
        reference.eval();
        converted.eval();
        ChannelsLast.ToChannelsLast(converted);
        return (reference, converted);
    }

    /// <summary>Non-trivial BatchNorm statistics and zero-initialised scales made non-zero, identically in both.</summary>
    private static void RandomizeNorms(ResNet a, ResNet b)
    {
        using var noGrad = no_grad();
        foreach (var ((_, x), (_, y)) in a.named_parameters().Zip(b.named_parameters()))
        {
            if (x.dim() == 1)
            {
                x.uniform_(0.5, 1.5);
                y.copy_(x);
            }
        }
    }
}
