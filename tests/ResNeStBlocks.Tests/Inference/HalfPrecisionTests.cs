using System;
using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Inference;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Weights;
using ResNeStBlocks.Zoo;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Inference;

/// <summary>Half-precision inference against float32, with the bounds documented on <see cref="HalfPrecision"/>.</summary>
public class HalfPrecisionTests
{
    /// <summary>Relative L2 error bounds of the logits (see <see cref="HalfPrecision"/>'s remarks).</summary>
    private static readonly Dictionary<ScalarType, double> Bound = new()
    {
        [ScalarType.BFloat16] = 3e-2,
        [ScalarType.Float16] = 5e-3,
    };

    private readonly ITestOutputHelper output;

    public HalfPrecisionTests(ITestOutputHelper output) => this.output = output;

    public static IEnumerable<object[]> ModelCasesAndTypes() =>
        from row in Fixtures.ModelCases()
        from dtype in new[] { ScalarType.BFloat16, ScalarType.Float16 }
        select new object[] { row[0], dtype };

    [Theory]
    [MemberData(nameof(ModelCasesAndTypes))]
    public void Tiny_model_logits_stay_close_to_float32(string name, ScalarType dtype)
    {
        var c = Fixtures.Case(name);
        using var model = new ResNet(TimmModules.Config(c));
        model.LoadWeights(Fixtures.File("timm", c.WeightsFile));
        var io = SafeTensors.Load(Fixtures.File("timm", c.IoFile));
        model.ToHalfPrecision(dtype);
        using var scope = NewDisposeScope();
        using (no_grad())
        {
            var logits = model.forward(io["input"].to(dtype));
            logits.dtype.Should().Be(dtype);
            AssertWithinBound(logits, io["output"], dtype, name);
        }
    }

    [Theory]
    [InlineData(ScalarType.BFloat16)]
    [InlineData(ScalarType.Float16)]
    public void ResNeSt14_logits_stay_close_to_float32(ScalarType dtype)
    {
        using var model = ModelZoo.Create("resnest14d");
        RandomNorms.Randomize(model, 14);
        model.eval();
        using var scope = NewDisposeScope();
        var input = randn(new long[] { 2, 3, 96, 96 }, generator: new Generator(14));
        Tensor expected;
        using (no_grad())
            expected = model.forward(input);
        model.ToHalfPrecision(dtype);
        using (no_grad())
            AssertWithinBound(model.forward(input.to(dtype)), expected, dtype, "resnest14d");
    }

    [Fact]
    public void Folded_then_converted_model_stays_close_to_float32()
    {
        var c = Fixtures.Case("tiny_resnest_2s1x64d");
        using var model = new ResNet(TimmModules.Config(c));
        model.LoadWeights(Fixtures.File("timm", c.WeightsFile));
        var io = SafeTensors.Load(Fixtures.File("timm", c.IoFile));
        model.FoldBatchNorm();
        model.ToHalfPrecision(ScalarType.BFloat16);
        model.parameters().Should().OnlyContain(p => p.dtype == ScalarType.BFloat16);
        using var scope = NewDisposeScope();
        using (no_grad())
            AssertWithinBound(model.forward(io["input"].to(ScalarType.BFloat16)), io["output"], ScalarType.BFloat16, "folded bf16");
    }

    [Fact]
    public void BatchNorms_stay_float32_and_everything_else_converts()
    {
        using var model = ModelZoo.Create("resnest14d", numClasses: 10);
        model.ToHalfPrecision(ScalarType.BFloat16);
        foreach (var (key, tensor) in model.state_dict())
        {
            bool norm = key.StartsWith("bn1.") || key.Contains(".bn") || key.StartsWith("conv1.1.") || key.StartsWith("conv1.4.")
                || (key.Contains(".downsample.2."));
            var expected = key.EndsWith("num_batches_tracked") ? ScalarType.Int64 : norm ? ScalarType.Float32 : ScalarType.BFloat16;
            tensor.dtype.Should().Be(expected, key);
        }
        model.modules().OfType<BatchNorm2d>().Should().OnlyContain(n => n.weight!.dtype == ScalarType.Float32);
        model.training.Should().BeFalse();
    }

    [Fact]
    public void Only_half_precision_types_are_accepted()
    {
        using var model = nn.Sequential(("conv", nn.Conv2d(3, 4, 1)));
        var act = () => model.ToHalfPrecision(ScalarType.Float64);
        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("dtype");
        model.parameters().Should().OnlyContain(p => p.dtype == ScalarType.Float32);
    }

    private void AssertWithinBound(Tensor actual, Tensor expected, ScalarType dtype, string what)
    {
        using var scope = NewDisposeScope();
        var reference = expected.to(ScalarType.Float64);
        double error = ((actual.to(ScalarType.Float64) - reference).norm().item<double>()) / reference.norm().item<double>();
        output.WriteLine($"{what} {dtype}: relative L2 error of logits {error:E2} (bound {Bound[dtype]:E0})");
        double.IsFinite(error).Should().BeTrue($"{what} {dtype} logits must be finite");
        error.Should().BeLessThan(Bound[dtype], $"{what} {dtype} logits must be close to float32");
    }
}
