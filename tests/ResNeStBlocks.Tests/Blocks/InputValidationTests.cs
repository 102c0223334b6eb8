using System;
using System.Collections.Generic;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Blocks;
using ResNeStBlocks.Inference;
using ResNeStBlocks.Layers;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Blocks;

/// <summary>
/// Every public block rejects a wrong rank, channel count or dtype with ArgumentException naming what it expected and the
/// fix, before any native call. (A wrong device is checked the same way; these machines have no second device to test it.)
/// </summary>
public class InputValidationTests
{
    private static readonly Dictionary<string, (Func<nn.Module<Tensor, Tensor>> Create, int Channels, string Name)> Blocks = new()
    {
        ["se"] = (() => new SqueezeExcite(32), 32, "SqueezeExcite"),
        ["sk"] = (() => new SelectiveKernel(32, 32), 32, "SelectiveKernel"),
        ["sk-attention"] = (() => new SelectiveKernelAttention(32, 2, 8), 32, "SelectiveKernelAttention"),
        ["splat"] = (() => new SplitAttention(32, options: new SplitAttentionOptions(Radix: 2)), 32, "SplitAttention"),
        ["conv-norm-act"] = (() => new ConvNormAct(32, 16, 3), 32, "ConvNormAct"),
        ["basic"] = (() => new BasicBlock(32, 32), 32, "BasicBlock"),
        ["bottleneck"] = (() => new Bottleneck(64, 16), 64, "Bottleneck"),
        ["res2net"] = (() => new Res2NetBottleneck(64, 16), 64, "Res2NetBottleneck"),
        ["resnest"] = (() => new ResNeStBottleneck(64, 16), 64, "ResNeStBottleneck"),
        ["sk-basic"] = (() => new SelectiveKernelBasicBlock(32, 32), 32, "SelectiveKernelBasicBlock"),
        ["sk-bottleneck"] = (() => new SelectiveKernelBottleneck(64, 16), 64, "SelectiveKernelBottleneck"),
        ["resnet-deep-stem"] = (() => new ResNet(new ResNetConfig(new BasicBlockSpec(), new[] { 1 }) { Channels = new[] { 16 }, StemType = StemType.Deep, StemWidth = 8 }), 3, "ResNet"),
        ["resnet"] = (() => new ResNet(new ResNetConfig(new BasicBlockSpec(), new[] { 1, 1, 1, 1 }) { Channels = new[] { 8, 8, 8, 8 }, NumClasses = 3 }), 3, "ResNet"),
    };

    public static IEnumerable<object[]> Names()
    {
        foreach (var name in Blocks.Keys)
            yield return new object[] { name };
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Wrong_rank_is_rejected(string name) => ShouldReject(name, channels => zeros(channels, 8, 8),
        (module, channels) => $"{module} expects a 4-D input [batch, {channels}, height, width], got shape [{channels}, 8, 8].*");

    [Theory]
    [MemberData(nameof(Names))]
    public void Wrong_channel_count_is_rejected(string name) => ShouldReject(name, channels => zeros(2, channels + 1, 8, 8),
        (module, channels) => $"{module} expects {channels} input channels, got {channels + 1} (shape [2, {channels + 1}, 8, 8]).*");

    [Theory]
    [MemberData(nameof(Names))]
    public void Integer_input_is_rejected(string name) => ShouldReject(name, channels => zeros(new long[] { 2, channels, 8, 8 }, ScalarType.Int64),
        (module, _) => $"{module} expects a floating-point input (float32, float16, bfloat16 or float64), got Int64.*");

    [Theory]
    [MemberData(nameof(Names))]
    public void Float64_input_to_a_float32_module_is_rejected_with_the_cast(string name) =>
        ShouldReject(name, channels => zeros(new long[] { 2, channels, 8, 8 }, ScalarType.Float64),
            (module, _) => $"{module} has Float32 weights but the input is Float64; cast the input first: input.to_type(ScalarType.Float32). (Parameter 'input')");

    [Fact]
    public void Float32_input_to_a_bfloat16_model_is_rejected_with_the_cast()
    {
        using var model = new ResNet(new ResNetConfig(new ResNeStSpec(), new[] { 1, 1, 1, 1 }) { Channels = new[] { 16, 32, 64, 128 }, NumClasses = 3 });
        model.ToHalfPrecision(ScalarType.BFloat16);
        using var scope = NewDisposeScope();
        FluentActions.Invoking(() => model.call(zeros(1, 3, 32, 32)))
            .Should().Throw<ArgumentException>().WithParameterName("input")
            .WithMessage("ResNet has BFloat16 weights but the input is Float32; cast the input first: input.to_type(ScalarType.BFloat16). (Parameter 'input')");
        using (no_grad())
            model.call(zeros(1, 3, 32, 32).to_type(ScalarType.BFloat16)).shape.Should().Equal(1, 3);
    }

    private static void ShouldReject(string name, Func<int, Tensor> input, Func<string, int, string> message)
    {
        var (create, channels, module) = Blocks[name];
        using var scope = NewDisposeScope();
        using var block = create();
        FluentActions.Invoking(() => block.call(input(channels)))
            .Should().Throw<ArgumentException>().WithParameterName("input").WithMessage(message(module, channels));
    }
}
