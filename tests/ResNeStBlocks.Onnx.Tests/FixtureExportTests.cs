using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Onnx.Tests.Support;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Weights;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Onnx.Tests;

/// <summary>Every timm block fixture and tiny model: the exported file in ONNX Runtime against the library and timm.</summary>
public class FixtureExportTests
{
    public static IEnumerable<object[]> BlockCases() => Fixtures.BlockCases();

    public static IEnumerable<object[]> ModelCases() => Fixtures.ModelCases();

    [Fact]
    public void Every_block_and_model_fixture_is_covered()
    {
        BlockCases().Should().HaveCount(18);
        ModelCases().Should().HaveCount(8);
    }

    [Theory]
    [MemberData(nameof(BlockCases))]
    public void Block_export_equals_the_library_at_batch_1_and_3_and_timm(string name)
    {
        var c = Fixtures.Case(name);
        using var block = TimmModules.Build(c);
        StateDictLoader.LoadFile(block, Fixtures.File("timm", c.WeightsFile));
        var options = new OnnxExportOptions { InputHeight = (int)c.InputShape[2], InputWidth = (int)c.InputShape[3] };
        using var runner = OrtRunner.For(block, options);
        OnnxAssert.MatchesEval(block, runner, c.InputShape[1..], name);
        AssertEqualsTimm(c, runner);
    }

    [Theory]
    [MemberData(nameof(ModelCases))]
    public void Tiny_model_export_equals_the_library_at_batch_1_and_3_and_timm(string name)
    {
        var c = Fixtures.Case(name);
        using var model = new ResNet(TimmModules.Config(c));
        model.LoadWeights(Fixtures.File("timm", c.WeightsFile));
        var options = new OnnxExportOptions { InputHeight = 64, InputWidth = 64 };
        using var runner = OrtRunner.For(model, options);
        OnnxAssert.MatchesEval(model, runner, c.InputShape[1..], name);
        AssertEqualsTimm(c, runner);
    }

    private static void AssertEqualsTimm(FixtureCase c, OrtRunner runner)
    {
        using var scope = NewDisposeScope();
        var io = SafeTensors.Load(Fixtures.File("timm", c.IoFile));
        TensorAssert.Close(runner.RunSingle(io["input"]), io["output"], OnnxAssert.Tolerance, OnnxAssert.Tolerance, $"{c.Name} ORT vs timm");
    }
}
