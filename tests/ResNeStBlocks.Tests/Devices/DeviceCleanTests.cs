using System;
using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Inference;
using ResNeStBlocks.Preprocessing;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Devices;

/// <summary>
/// Proves, on the CPU, that every model family creates its tensors on the input's device and dtype: models and inputs
/// are built first, then the default device becomes the meta device (or the default dtype float64), and every code
/// path runs. A tensor created without the input's placement lands on meta (or in float64) and fails or shows.
/// </summary>
[Collection(IsolatedCollection.Name)]
public class DeviceCleanTests
{
    public static IEnumerable<object[]> Cases() =>
        from family in TinyFamilies.Names
        from outputStride in new[] { 32, 8 }
        select new object[] { family, outputStride };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_path_keeps_the_inputs_device(string family, int outputStride)
    {
        var (model, input) = Build(family, outputStride);
        using (model)
        using (input)
            DefaultPlacement.WithDevice(DefaultPlacement.Meta, () => PlacementSweep.Network(model, input, family));
        get_default_device().type.Should().Be(DeviceType.CPU, "the default device is restored");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_path_keeps_the_inputs_dtype(string family, int outputStride)
    {
        var (model, input) = Build(family, outputStride);
        using (model)
        using (input)
            DefaultPlacement.WithDType(ScalarType.Float64, () => PlacementSweep.Network(model, input, family));
        get_default_dtype().Should().Be(ScalarType.Float32, "the default dtype is restored");
    }

    [Theory]
    [InlineData("meta device")]
    [InlineData("float64 dtype")]
    public void Channels_last_and_mixed_precision_training_keep_the_inputs_placement(string switched)
    {
        var (model, input) = Build("resnest_2s1x64d", 32);
        using (model)
        using (input)
        using (var labels = randint(0, 5, new long[] { 2 }))
        {
            void Sweep()
            {
                ChannelsLast.ToChannelsLast(model);
                using var half = ChannelsLast.ToChannelsLast(input).to(ScalarType.Float16);
                using var trainer = new MixedPrecisionTrainer(model, ScalarType.Float16, p => new Sgd(p, 0.01), new DynamicLossScaler(initialScale: 128));
                var step = trainer.Step(() => nn.functional.cross_entropy(model.call(half).to(ScalarType.Float32), labels));
                using var loss = step.Loss;
                step.Applied.Should().BeTrue();
                PlacementSweep.Expect(loss, input, $"mixed-precision loss under the {switched}");
            }
            if (switched == "meta device")
                DefaultPlacement.WithDevice(DefaultPlacement.Meta, Sweep);
            else
                DefaultPlacement.WithDType(ScalarType.Float64, Sweep);
        }
    }

    [Fact]
    public void Preprocessor_keeps_the_images_device_and_creates_float32()
    {
        var preprocessor = new ImagePreprocessor(32, 0.875, Interpolation.Bicubic, ImagePreprocessor.ImageNetMean, ImagePreprocessor.ImageNetStd);
        using var eightBit = randint(0, 256, new long[] { 40, 48, 3 }, dtype: ScalarType.Byte);
        using var floating = rand(3, 48, 40);
        DefaultPlacement.WithDevice(DefaultPlacement.Meta, () => PlacementSweep.Preprocessor(preprocessor, eightBit, floating));
        DefaultPlacement.WithDType(ScalarType.Float64, () => PlacementSweep.Preprocessor(preprocessor, eightBit, floating));
    }

    [Fact]
    public void A_module_that_ignores_the_inputs_device_fails_the_sweep()
    {
        using var module = new PlacementBlind();
        using var input = randn(2, 3, 8, 8);
        var sweep = () => DefaultPlacement.WithDevice(DefaultPlacement.Meta, () => PlacementSweep.Module(module, input, "blind"));
        sweep.Should().Throw<System.Runtime.InteropServices.ExternalException>()
            .WithMessage("Expected all tensors to be on the same device, but found at least two devices, meta and cpu!*");
        get_default_device().type.Should().Be(DeviceType.CPU, "the default device is restored after a failure");
    }

    [Fact]
    public void A_module_that_ignores_the_inputs_dtype_fails_the_sweep()
    {
        using var module = new PlacementBlind();
        using var input = randn(2, 3, 8, 8);
        var sweep = () => DefaultPlacement.WithDType(ScalarType.Float64, () => PlacementSweep.Module(module, input, "blind"));
        sweep.Should().Throw<InvalidOperationException>()
            .WithMessage("blind (train): output is Float64 on cpu, expected Float32 on cpu.");
        get_default_dtype().Should().Be(ScalarType.Float32, "the default dtype is restored after a failure");
    }

    private static (ResNet Model, Tensor Input) Build(string family, int outputStride)
    {
        manual_seed(7);
        var config = TinyFamilies.Config(family, outputStride) with { DropPathRate = 0.2, DropBlockRate = 0.2, DropRate = 0.1 };
        return (new ResNet(config), randn(2, 3, 32, 32));
    }

    /// <summary>Adds a bias it creates without the input's device or dtype: the mistake the sweep exists to catch.</summary>
    private sealed class PlacementBlind : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.Conv2d conv = nn.Conv2d(3, 3, 1);

        public PlacementBlind() : base(nameof(PlacementBlind)) => RegisterComponents();

        public override Tensor forward(Tensor input) => conv.call(input) + ones(3, 1, 1);
    }
}
