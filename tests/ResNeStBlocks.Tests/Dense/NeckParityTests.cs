using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Weights;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Dense;

/// <summary>Every necks/* case: torchvision's FeaturePyramidNetwork with each extra block, with and without BatchNorm.</summary>
public class NeckParityTests
{
    public static IEnumerable<object[]> Cases() => TorchvisionFixtures.In("necks");

    [Fact]
    public void All_five_pyramid_cases_are_present() =>
        Cases().Select(row => (string)row[0]).Should().BeEquivalentTo("fpn_pool", "fpn_pool_bn", "fpn_plain_4levels", "fpn_p6p7_use_p5", "fpn_p6p7_use_c5");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Keys_shapes_and_parameters_equal_torchvision(string name)
    {
        var c = TorchvisionFixtures.Case(name);
        using var fpn = DenseModules.Pyramid(c);
        StateDictListing.Of(fpn).Should().BeEquivalentTo(c.StateDict);
        StateDictListing.Parameters(fpn).Should().Be(c.Params);
        if (fpn.ExtraBlocks is LastLevelP6P7 p6p7)
            p6p7.UsesP5.Should().Be(c.Bool("use_P5"));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Eval_levels_and_names_equal_torchvision(string name) => Check(name, train: false);

    [Theory]
    [InlineData("fpn_pool_bn")]
    [InlineData("fpn_p6p7_use_c5")]
    public void Train_levels_equal_torchvision(string name) => Check(name, train: true);

    private static void Check(string name, bool train)
    {
        var c = TorchvisionFixtures.Case(name);
        using var scope = NewDisposeScope();
        using var fpn = DenseModules.Pyramid(c);
        fpn.LoadWeights(c.WeightsPath);
        var io = c.LoadIo();
        string[] names = c.Strings("names");
        var input = new FeatureMaps(names, names.Select(n => io[$"input.{n}"]).ToArray());
        if (train)
            fpn.train();
        else
            fpn.eval();
        using var _ = no_grad();
        var pyramid = fpn.call(input);
        pyramid.Names.Should().Equal(c.Strings("output_names"));
        var (atol, rtol) = TorchvisionFixtures.Tolerance;
        string prefix = train ? "output_train." : "output.";
        foreach (var level in pyramid.Names)
            TensorAssert.Close(pyramid[level], io[prefix + level], atol, rtol, $"{name} {prefix}{level}");
    }
}
