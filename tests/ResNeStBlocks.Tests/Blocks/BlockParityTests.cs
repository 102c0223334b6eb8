using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Tests.Support;
using ResNeStBlocks.Weights;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Blocks;

/// <summary>Every blocks/* case of timm/cases.json: keys, shapes, parameter count, eval and train outputs.</summary>
public class BlockParityTests
{
    public static IEnumerable<object[]> BlockCases() => Fixtures.BlockCases();

    [Fact]
    public void All_eighteen_block_cases_are_present()
    {
        BlockCases().Should().HaveCount(18);
    }

    [Theory]
    [MemberData(nameof(BlockCases))]
    public void State_dict_keys_and_shapes_equal_timm(string name)
    {
        var c = Fixtures.Case(name);
        using var block = TimmModules.Build(c);
        var actual = block.state_dict().Select(kv => (kv.Key, TensorAssert.Shape(kv.Value.shape))).OrderBy(x => x.Key).ToList();
        var expected = c.StateDict.Select(kv => (kv.Key, TensorAssert.Shape(kv.Shape))).OrderBy(x => x.Key).ToList();
        actual.Should().Equal(expected);
        block.parameters().Sum(p => p.numel()).Should().Be(c.Params);
    }

    [Theory]
    [MemberData(nameof(BlockCases))]
    public void Parameter_order_equals_timm(string name)
    {
        // TorchSharp lists a module's parameters before its buffers; among the parameters the order is timm's.
        var c = Fixtures.Case(name);
        using var block = TimmModules.Build(c);
        var buffers = new[] { ".running_mean", ".running_var", ".num_batches_tracked" };
        block.named_parameters().Select(p => p.name).Should().Equal(
            c.StateDict.Select(kv => kv.Key).Where(key => !buffers.Any(key.EndsWith)));
    }

    [Theory]
    [MemberData(nameof(BlockCases))]
    public void Eval_output_equals_timm(string name) => CompareOutput(name, train: false);

    [Theory]
    [MemberData(nameof(BlockCases))]
    public void Train_output_equals_timm(string name) => CompareOutput(name, train: true);

    private static void CompareOutput(string name, bool train)
    {
        var c = Fixtures.Case(name);
        var (atol, rtol) = Fixtures.Tolerance;
        using var scope = NewDisposeScope();
        using var block = TimmModules.Build(c);
        StateDictLoader.LoadFile(block, Fixtures.File("timm", c.WeightsFile));
        var io = SafeTensors.Load(Fixtures.File("timm", c.IoFile));
        block.train(train);
        using var _ = train ? enable_grad() : no_grad();
        var output = block.forward(io["input"]);
        output.shape.Should().Equal(c.OutputShape);
        TensorAssert.Close(output, io[train ? "output_train" : "output"], atol, rtol, $"{name} {(train ? "train" : "eval")} output");
    }
}
