using System;
using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Inference;
using ResNeStBlocks.Onnx.Tests.Support;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Zoo;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Onnx.Tests;

/// <summary>Full-size zoo models with random weights, output strides, heads and export options, in ONNX Runtime.</summary>
public class ModelExportTests
{
    private static readonly long[] Small = { 3, 64, 64 };

    /// <summary>ResNeSt-50 and one model of each other family, at their real widths and depths.</summary>
    [Theory]
    [InlineData("resnest50d")]
    [InlineData("res2net50_26w_4s")]
    [InlineData("skresnext50_32x4d")]
    [InlineData("seresnext50_32x4d")]
    [InlineData("resnet50d")]
    public void Zoo_model_with_random_weights_equals_the_library(string name)
    {
        using var model = RandomModel(name);
        OnnxAssert.MatchesEval(model, Small, name, new OnnxExportOptions { InputHeight = 64, InputWidth = 64 });
    }

    /// <summary>
    /// Every zoo architecture (stem, block type, attention, shortcut) at half the width and at most two blocks per
    /// stage: each block type is one emitter whatever the depth, and deep stacks of random blocks only grow the
    /// activations until float32 rounding dominates the comparison.
    /// </summary>
    [Fact]
    public void Every_zoo_architecture_exports_and_equals_the_library()
    {
        foreach (string name in ModelZoo.Names)
        {
            using var model = RandomModel(name, c => c with
            {
                Channels = new[] { 32, 64, 128, 256 },
                Layers = c.Layers.Select(n => Math.Min(n, 2)).ToArray(),
                StemWidth = Math.Min(c.StemWidth, 16),
            });
            OnnxAssert.MatchesEval(model, new long[] { 3, 32, 32 }, name, new OnnxExportOptions { InputHeight = 32, InputWidth = 32 });
        }
    }

    [Theory]
    [InlineData("resnest50d", 8)]
    [InlineData("resnest50d", 16)]
    [InlineData("resnet50d", 8)]
    [InlineData("res2net50_26w_4s", 16)]
    [InlineData("skresnet18", 8)]
    public void Dilated_output_stride_equals_the_library(string name, int outputStride)
    {
        using var model = RandomModel(name, c => c with { OutputStride = outputStride, Channels = new[] { 32, 64, 128, 256 } });
        OnnxAssert.MatchesEval(model, new long[] { 3, 48, 48 }, $"{name} output stride {outputStride}",
            new OnnxExportOptions { InputHeight = 48, InputWidth = 48 });
    }

    [Fact]
    public void Headless_model_outputs_pooled_features()
    {
        using var model = RandomModel("resnest14d", c => c with { NumClasses = 0 });
        using var runner = OrtRunner.For(model, new OnnxExportOptions { InputHeight = 64, InputWidth = 64 });
        runner.Session.OutputNames.Should().Equal("features");
        runner.Session.OutputMetadata["features"].Dimensions.Should().Equal(-1, 2048);
        OnnxAssert.MatchesEval(model, runner, Small, "resnest14d features");
    }

    [Fact]
    public void Stage_outputs_equal_forward_stages()
    {
        using var model = RandomModel("resnest14d");
        model.eval();
        using var runner = OrtRunner.For(model, new OnnxExportOptions { StageOutputs = true, InputHeight = 64, InputWidth = 64 });
        runner.Session.OutputNames.Should().Equal("stage1", "stage2", "stage3", "stage4");
        using var scope = NewDisposeScope();
        var input = randn(new long[] { 3, 3, 64, 64 }, generator: new Generator(3));
        var actual = runner.Run(input);
        using var _ = no_grad();
        var expected = model.ForwardStages(input);
        for (int i = 0; i < 4; i++)
            TensorAssert.Close(actual[$"stage{i + 1}"], expected[i], OnnxAssert.Tolerance, OnnxAssert.Tolerance, $"stage{i + 1}");
    }

    [Fact]
    public void Kept_batch_norm_nodes_equal_the_library()
    {
        using var model = RandomModel("resnest14d");
        var bytes = OrtRunner.Export(model, new OnnxExportOptions { FoldBatchNorm = false, InputHeight = 64, InputWidth = 64 });
        OnnxGraph.OpTypes(bytes).Should().Contain("BatchNormalization");
        using var runner = new OrtRunner(bytes);
        OnnxAssert.MatchesEval(model, runner, Small, "resnest14d with BatchNormalization");
        OnnxGraph.OpTypes(OrtRunner.Export(model)).Should().NotContain("BatchNormalization");
    }

    [Fact]
    public void Model_folded_in_place_exports_the_same_graph_output()
    {
        using var model = RandomModel("res2net50d", c => c with { Channels = new[] { 32, 64, 128, 256 } });
        model.eval();
        InferencePreparation.FoldBatchNorm(model).Should().BeGreaterThan(0);
        OnnxAssert.MatchesEval(model, Small, "res2net50d folded in place", new OnnxExportOptions { InputHeight = 64, InputWidth = 64 });
    }

    [Fact]
    public void Dynamic_spatial_size_runs_at_two_sizes_from_one_file()
    {
        using var model = RandomModel("resnest26d", c => c with { Channels = new[] { 32, 64, 128, 256 } });
        var options = new OnnxExportOptions { DynamicSpatialSize = true };
        using var runner = OrtRunner.For(model, options);
        runner.Session.InputMetadata["input"].SymbolicDimensions.Should().Equal("batch", "", "height", "width");
        OnnxAssert.MatchesEval(model, runner, new long[] { 3, 64, 64 }, "64x64");
        OnnxAssert.MatchesEval(model, runner, new long[] { 3, 80, 57 }, "80x57");
    }

    [Fact]
    public void Float16_weights_halve_the_file_and_stay_close()
    {
        using var model = RandomModel("resnest14d");
        model.eval();
        var options = new OnnxExportOptions { InputHeight = 64, InputWidth = 64 };
        var full = OrtRunner.Export(model, options);
        var half = OrtRunner.Export(model, options with { WeightType = OnnxWeightType.Float16 });
        ((double)half.Length / full.Length).Should().BeInRange(0.49, 0.52);
        using var runner = new OrtRunner(half);
        using var scope = NewDisposeScope();
        var input = randn(new long[] { 2, 3, 64, 64 }, generator: new Generator(5));
        using var _ = no_grad();
        var expected = model.call(input);
        var actual = runner.RunSingle(input);
        double relative = ((actual - expected).norm() / expected.norm()).item<float>();
        relative.Should().BeLessThan(5e-3, "float16 weights round each weight once (relative L2 error of the logits)");
    }

    [Fact]
    public void Export_leaves_the_model_unchanged()
    {
        using var model = RandomModel("resnest14d");
        model.train();
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        OrtRunner.Export(model);
        OrtRunner.Export(model, new OnnxExportOptions { FoldBatchNorm = false, WeightType = OnnxWeightType.Float16 });
        model.training.Should().BeTrue();
        var after = model.state_dict();
        after.Keys.Should().Equal(before.Keys);
        foreach (var (key, value) in before)
            after[key].equal(value).all().item<bool>().Should().BeTrue($"{key} must be unchanged");
    }

    internal static ResNet RandomModel(string name, Func<ResNetConfig, ResNetConfig>? configure = null)
    {
        TorchSharp.torch.manual_seed(11);
        var model = ModelZoo.Create(name, 10, configure);
        RandomNorms.Randomize(model, 11);
        // Random statistics also replace the zero-init of the blocks' last norms, so every branch counts.
        return model;
    }
}
