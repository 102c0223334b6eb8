using System;
using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Blocks;
using ResNeStBlocks.Inference;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Weights;
using ResNeStBlocks.Zoo;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Inference;

/// <summary>Folding BatchNorm into convolutions keeps eval-mode outputs and forbids training and loading.</summary>
public class BatchNormFoldingTests
{
    private const double Relative = 1e-4;
    public static IEnumerable<object[]> ModelCases() => Fixtures.ModelCases();

    [Theory]
    [MemberData(nameof(ModelCases))]
    public void Folded_tiny_model_equals_unfolded_eval_logits(string name)
    {
        var c = Fixtures.Case(name);
        using var reference = new ResNet(TimmModules.Config(c));
        using var folded = new ResNet(TimmModules.Config(c));
        reference.LoadWeights(Fixtures.File("timm", c.WeightsFile));
        folded.LoadWeights(Fixtures.File("timm", c.WeightsFile));
        var io = SafeTensors.Load(Fixtures.File("timm", c.IoFile));
        int norms = reference.modules().OfType<BatchNorm2d>().Count();

        folded.FoldBatchNorm().Should().Be(norms);

        folded.modules().OfType<BatchNorm2d>().Should().BeEmpty();
        folded.state_dict().Keys.Should().NotContain(k => k.Contains("running_mean"));
        reference.eval();
        using var scope = NewDisposeScope();
        using (no_grad())
            AssertRelativelyClose(folded.forward(io["input"]), reference.forward(io["input"]), name);
    }

    [Fact]
    public void Folded_selective_kernel_bottleneck_and_radix_one_models_equal_unfolded()
    {
        var configs = new[]
        {
            Tiny(new SelectiveKernelBottleneckSpec()),
            Tiny(new ResNeStSpec(Radix: 1)),
            Tiny(new ResNeStSpec(Radix: 0)),
            Tiny(new BasicBlockSpec()) with { StemType = StemType.Default, AvgDown = false },
        };
        foreach (var config in configs)
            AssertFoldKeepsOutputs(config, new long[] { 2, 3, 32, 32 }, config.Block.ToString());
    }

    [Fact]
    public void Folded_deep_tiered_stem_equals_unfolded()
    {
        var config = Tiny(new BasicBlockSpec()) with { StemType = StemType.DeepTiered, StemWidth = 16, AvgDown = false };
        AssertFoldKeepsOutputs(config, new long[] { 2, 3, 32, 32 }, "deep-tiered stem");
        using var model = new ResNet(config);
        model.FoldBatchNorm();
        model.state_dict().Keys.Where(k => k.StartsWith("conv1.") || k.StartsWith("bn1."))
            .Should().Equal("conv1.0.weight", "conv1.0.bias", "conv1.3.weight", "conv1.3.bias", "conv1.6.weight", "conv1.6.bias");
    }

    [Fact]
    public void Folded_keys_drop_norms_and_give_convolutions_biases()
    {
        using var model = new ResNet(Tiny(new ResNeStSpec()));
        var keys = model.state_dict().Keys.ToList();
        model.FoldBatchNorm();
        var folded = model.state_dict().Keys.ToList();

        folded.Should().NotContain(k => k.StartsWith("bn1.") || k.Contains(".bn"));
        folded.Should().Contain(new[] { "conv1.0.bias", "conv1.6.bias", "layer1.0.conv1.bias", "layer1.0.conv2.conv.bias", "layer2.0.downsample.1.bias" });
        folded.First().Should().Be("conv1.0.weight", "the stem stays first in state-dict order");
        folded.Last().Should().Be("fc.bias");
        folded.Except(keys).Should().OnlyContain(k => k.EndsWith(".bias"));
    }

    [Fact]
    public void Folding_twice_folds_nothing_more_and_reports_the_state()
    {
        using var model = new ResNet(Tiny(new ResNeStSpec()));
        model.IsBatchNormFolded().Should().BeFalse();
        model.FoldBatchNorm().Should().BePositive();
        model.IsBatchNormFolded().Should().BeTrue();
        model.FoldBatchNorm().Should().Be(0);
    }

    [Fact]
    public void A_folded_model_refuses_training_and_loading()
    {
        using var model = new ResNet(Tiny(new ResNeStSpec()));
        var weights = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        model.FoldBatchNorm();

        model.Invoking(m => m.train()).Should().Throw<InvalidOperationException>().WithMessage("*folded*eval mode*");
        var block = model.modules().OfType<ResNeStBottleneck>().First();
        block.Invoking(b => b.train(true)).Should().Throw<InvalidOperationException>();
        model.Invoking(m => m.eval()).Should().NotThrow();
        model.Invoking(m => StateDictLoader.Load(m, weights, strict: false)).Should().Throw<InvalidOperationException>().WithMessage("*folded*");
        block.Invoking(b => b.ZeroInitLastNorm()).Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public void Folded_resnest50_equals_unfolded_at_224()
    {
        using var reference = ModelZoo.Create("resnest50d");
        RandomNorms.Randomize(reference, 50);
        using var folded = ModelZoo.Create("resnest50d");
        folded.load_state_dict(reference.state_dict());
        folded.FoldBatchNorm();
        reference.eval();
        using var scope = NewDisposeScope();
        var input = randn(1, 3, 224, 224, generator: new Generator(7));
        using (no_grad())
            AssertRelativelyClose(folded.forward(input), reference.forward(input), "resnest50d");
    }

    private static ResNetConfig Tiny(BlockSpec block) => new(block, new[] { 1, 1, 1, 1 })
    {
        Channels = new[] { 16, 32, 64, 128 },
        StemType = StemType.Deep,
        StemWidth = 8,
        AvgDown = true,
        NumClasses = 10,
    };

    private static void AssertFoldKeepsOutputs(ResNetConfig config, long[] inputShape, string what)
    {
        using var reference = new ResNet(config);
        RandomNorms.Randomize(reference, 11);
        using var folded = new ResNet(config);
        folded.load_state_dict(reference.state_dict());
        folded.FoldBatchNorm().Should().Be(reference.modules().OfType<BatchNorm2d>().Count(), what);
        folded.modules().OfType<BatchNorm2d>().Should().BeEmpty(what);
        reference.eval();
        using var scope = NewDisposeScope();
        var input = randn(inputShape, generator: new Generator(3));
        using (no_grad())
            AssertRelativelyClose(folded.forward(input), reference.forward(input), what);
    }

    /// <summary>|folded - reference| &lt;= 1e-4 * (max |reference| + |reference|) elementwise.</summary>
    private static void AssertRelativelyClose(Tensor actual, Tensor expected, string what)
    {
        double scale = expected.abs().max().item<float>();
        scale.Should().BeGreaterThan(0, $"{what} logits must not be all zero");
        TensorAssert.Close(actual, expected, Relative * scale, Relative, what);
    }
}
