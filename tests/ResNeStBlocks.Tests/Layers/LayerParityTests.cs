using System.Collections.Generic;
using FluentAssertions;
using ResNeStBlocks.Testing;
using Xunit;

namespace ResNeStBlocks.Tests.Layers;

/// <summary>Every single-layer case of timm/cases.json (SE, Selective Kernel, Split-Attention): keys, shapes, parameter count and order, eval and train outputs.</summary>
public class LayerParityTests
{
    public static IEnumerable<object[]> LayerCases() => Fixtures.LayerCases();

    [Fact]
    public void All_eight_cases_are_present() => LayerCases().Should().HaveCount(8);

    [Theory]
    [MemberData(nameof(LayerCases))]
    public void State_dict_keys_and_shapes_equal_timm(string name) => TimmParity.KeysAndShapes(name);

    [Theory]
    [MemberData(nameof(LayerCases))]
    public void Parameter_order_equals_timm(string name) => TimmParity.ParameterOrder(name);

    [Theory]
    [MemberData(nameof(LayerCases))]
    public void Eval_output_equals_timm(string name) => TimmParity.Output(name, train: false);

    [Theory]
    [MemberData(nameof(LayerCases))]
    public void Train_output_equals_timm(string name) => TimmParity.Output(name, train: true);
}
