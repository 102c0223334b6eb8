using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Weights;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Dense;

/// <summary>Every heads/* case: torchvision's ASPP, DeepLabHead and FCNHead, and the DeepLabV3+ reference, in eval and train mode.</summary>
public class HeadParityTests
{
    public static IEnumerable<object[]> Cases() => TorchvisionFixtures.In("heads");

    [Fact]
    public void All_six_head_cases_are_present() =>
        Cases().Select(row => (string)row[0]).Should().BeEquivalentTo("aspp_rates_12_24_36", "aspp_rates_1_2_3", "deeplab_head", "fcn_head",
            "deeplabv3plus_head", "deeplabv3plus_head_plain_aspp");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Keys_shapes_and_parameters_equal_the_reference(string name)
    {
        var c = TorchvisionFixtures.Case(name);
        using var head = DenseModules.Head(c);
        StateDictListing.Of(head).Should().BeEquivalentTo(c.StateDict);
        StateDictListing.Parameters(head).Should().Be(c.Params);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Eval_output_equals_the_reference(string name) => Check(name, train: false);

    /// <summary>BatchNorm batch statistics (the generator ran train mode with dropout off, as this does).</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Train_output_equals_the_reference(string name) => Check(name, train: true);

    private static void Check(string name, bool train)
    {
        var c = TorchvisionFixtures.Case(name);
        using var scope = NewDisposeScope();
        using var head = DenseModules.Head(c);
        head.LoadWeights(c.WeightsPath);
        var io = c.LoadIo();
        if (train)
            TorchvisionFixtures.TrainWithoutDropout(head);
        else
            head.eval();
        using var _ = no_grad();
        var output = head switch
        {
            DeepLabV3PlusHead plus => plus.call(io["features"], io["low_level"]),
            nn.Module<Tensor, Tensor> single => single.call(io["input"]),
            _ => throw new System.InvalidOperationException(head.GetType().Name),
        };
        var (atol, rtol) = TorchvisionFixtures.Tolerance;
        string key = train ? "output_train" : "output";
        TensorAssert.Close(output, io[key], atol, rtol, $"{name} {key}");
    }
}
