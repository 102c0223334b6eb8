using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Weights;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Dense;

/// <summary>
/// Every models/* case: torchvision's DeepLabV3 and FCN over its own ResNet/Bottleneck at reduced width, dilated with
/// replace_stride_with_dilation (so the parity also checks where our output stride puts each dilation), and the
/// DeepLabV3+ reference model.
/// </summary>
public class SegmentationModelParityTests
{
    public static IEnumerable<object[]> Cases() => TorchvisionFixtures.In("models");

    [Fact]
    public void All_six_model_cases_are_present() =>
        Cases().Select(row => (string)row[0]).Should().BeEquivalentTo("deeplabv3_resnet50_tiny", "deeplabv3_resnet101_tiny", "fcn_resnet50_tiny",
            "fcn_resnet101_tiny", "deeplabv3_os16_noaux_tiny", "deeplabv3plus_resnet_tiny");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Keys_shapes_and_parameters_equal_the_reference(string name)
    {
        var c = TorchvisionFixtures.Case(name);
        using var model = DenseModules.Model(c);
        StateDictListing.Of(model).Should().BeEquivalentTo(c.StateDict);
        StateDictListing.Parameters(model).Should().Be(c.Params);
        model.OutputStride.Should().Be(c.Int("output_stride"));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Eval_out_and_aux_equal_the_reference(string name)
    {
        var c = TorchvisionFixtures.Case(name);
        using var scope = NewDisposeScope();
        using var model = Load(c);
        var io = c.LoadIo();
        model.eval();
        using var _ = no_grad();
        var (atol, rtol) = TorchvisionFixtures.Tolerance;
        var result = model.ForwardWithAux(io["input"]);
        TensorAssert.Close(result.Out, io["out"], atol, rtol, $"{name} out");
        if (c.Bool("aux"))
            TensorAssert.Close(result.Aux!, io["aux"], atol, rtol, $"{name} aux");
        else
            result.Aux.Should().BeNull();
        TensorAssert.Close(model.call(io["input"]), io["out"], atol, rtol, $"{name} forward");
    }

    [Theory]
    [InlineData("deeplabv3_resnet50_tiny")]
    [InlineData("fcn_resnet50_tiny")]
    [InlineData("deeplabv3plus_resnet_tiny")]
    public void Train_out_and_aux_equal_the_reference(string name)
    {
        var c = TorchvisionFixtures.Case(name);
        c.Outputs.Should().Contain("out_train");
        using var scope = NewDisposeScope();
        using var model = Load(c);
        var io = c.LoadIo();
        TorchvisionFixtures.TrainWithoutDropout(model);
        var (atol, rtol) = TorchvisionFixtures.Tolerance;
        var result = model.ForwardWithAux(io["input"]);
        TensorAssert.Close(result.Out, io["out_train"], atol, rtol, $"{name} out (train)");
        TensorAssert.Close(result.Aux!, io["aux_train"], atol, rtol, $"{name} aux (train)");
    }

    /// <summary>
    /// A checkpoint as torchvision publishes them (torch.save of the model's state dict, a .pth) loads by name, with no
    /// renaming, and gives torchvision's outputs.
    /// </summary>
    [Fact]
    public void A_torchvision_pth_checkpoint_loads_by_name()
    {
        var c = TorchvisionFixtures.Case("deeplabv3_resnet50_tiny");
        using var scope = NewDisposeScope();
        using var model = DenseModules.Model(c);
        var result = model.LoadWeights(Fixtures.File("torchvision", "models", c.Name + ".pth"));
        result.MissingKeys.Should().BeEmpty();
        result.UnexpectedKeys.Should().BeEmpty();
        var io = c.LoadIo();
        model.eval();
        using var _ = no_grad();
        var (atol, rtol) = TorchvisionFixtures.Tolerance;
        var output = model.ForwardWithAux(io["input"]);
        TensorAssert.Close(output.Out, io["out"], atol, rtol, "out from the .pth");
        TensorAssert.Close(output.Aux!, io["aux"], atol, rtol, "aux from the .pth");
    }

    private static SegmentationModel Load(TorchvisionCase c)
    {
        var model = DenseModules.Model(c);
        model.LoadWeights(c.WeightsPath);
        return model;
    }
}
