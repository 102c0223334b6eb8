using System.Collections.Generic;
using FluentAssertions;
using ResNeStBlocks.Testing;
using Xunit;

namespace ResNeStBlocks.Tests.Blocks;

/// <summary>Every residual-block case of timm/cases.json: keys, shapes, parameter count and order, eval and train outputs.</summary>
public class BlockParityTests
{
    public static IEnumerable<object[]> BlockCases() => Fixtures.ResidualBlockCases();

    [Fact]
    public void All_ten_cases_are_present() => BlockCases().Should().HaveCount(10);

    [Theory]
    [MemberData(nameof(BlockCases))]
    public void State_dict_keys_and_shapes_equal_timm(string name) => TimmParity.KeysAndShapes(name);

    [Theory]
    [MemberData(nameof(BlockCases))]
    public void Parameter_order_equals_timm(string name) => TimmParity.ParameterOrder(name);

    [Theory]
    [MemberData(nameof(BlockCases))]
    public void Eval_output_equals_timm(string name) => TimmParity.Output(name, train: false);

    [Theory]
    [MemberData(nameof(BlockCases))]
    public void Train_output_equals_timm(string name) => TimmParity.Output(name, train: true);
}
