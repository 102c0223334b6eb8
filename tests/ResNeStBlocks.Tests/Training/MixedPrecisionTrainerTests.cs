using System;
using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Training;
using TorchSharp.Modules;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Training;

[Collection(IsolatedCollection.Name)] // its two runs must start from the same seeded weights and data: no parallel draws in between
public class MixedPrecisionTrainerTests
{
    private const int Steps = 100;

    private readonly ITestOutputHelper output;

    public MixedPrecisionTrainerTests(ITestOutputHelper output) => this.output = output;

    /// <summary>
    /// A tiny ResNeSt memorising 32 random 32x32 images (batches of 8, SGD lr 0.02 with momentum 0.9, 100 steps): the
    /// bfloat16 run with float32 masters follows the float32 run. Single steps differ by up to 0.16 (the two runs see
    /// slightly different weights, and the loss on one batch of 8 is noisy), so the losses are compared as 10-step
    /// means. Measured on this machine: loss 1.31 to 0.006 in both runs, largest difference of 10-step means 0.041;
    /// the bound is 0.08.
    /// </summary>
    [Fact]
    public void Bfloat16_training_with_float32_masters_tracks_float32()
    {
        var reference = Train(null);
        var mixed = Train(ScalarType.BFloat16);
        var referenceWindows = Windows(reference);
        var mixedWindows = Windows(mixed);
        double worst = referenceWindows.Zip(mixedWindows, (a, b) => Math.Abs(a - b)).Max();
        output.WriteLine("float32 10-step means:  " + string.Join(" ", referenceWindows.Select(l => l.ToString("F3"))));
        output.WriteLine("bfloat16 10-step means: " + string.Join(" ", mixedWindows.Select(l => l.ToString("F3"))));
        output.WriteLine($"largest window difference {worst:F4}; largest single-step difference {reference.Zip(mixed, (a, b) => Math.Abs(a - b)).Max():F4}");
        referenceWindows[^1].Should().BeLessThan(referenceWindows[0] * 0.5, "the float32 run learns");
        worst.Should().BeLessThan(WindowTolerance, "the bfloat16 run follows the float32 run");
    }

    /// <summary>Largest allowed difference of the two runs' losses averaged over 10 steps.</summary>
    private const double WindowTolerance = 0.08;

    private static double[] Windows(float[] losses) =>
        Enumerable.Range(0, losses.Length / 10).Select(w => losses.Skip(w * 10).Take(10).Average(l => (double)l)).ToArray();

    [Fact]
    public void Float16_with_an_injected_infinity_skips_the_step_and_halves_the_scale()
    {
        manual_seed(5);
        using var model = new ResNet(TinyFamilies.Config("resnest_2s1x64d"));
        var scaler = new DynamicLossScaler(initialScale: 256, growthInterval: 2);
        using var trainer = new MixedPrecisionTrainer(model, ScalarType.Float16, p => new Sgd(p, 0.01), scaler);
        using var images = randn(4, 3, 32, 32).to(ScalarType.Float16);
        using var labels = randint(0, 5, new long[] { 4 });
        Tensor Loss(double factor) => nn.functional.cross_entropy(model.call(images).to(ScalarType.Float32), labels) * factor;

        var firstWeight = model.parameters().First();
        firstWeight.dtype.Should().Be(ScalarType.Float16);
        using var before = firstWeight.detach().clone();

        var skipped = trainer.Step(() => Loss(double.PositiveInfinity));
        skipped.Applied.Should().BeFalse();
        skipped.Scale.Should().Be(256);
        scaler.Scale.Should().Be(128);
        firstWeight.eq(before).all().item<bool>().Should().BeTrue("a skipped step leaves the weights alone");

        var applied = trainer.Step(() => Loss(1));
        applied.Applied.Should().BeTrue();
        applied.Scale.Should().Be(128);
        firstWeight.eq(before).all().item<bool>().Should().BeFalse("an applied step updates the weights");
        trainer.Step(() => Loss(1)).Applied.Should().BeTrue();
        scaler.Scale.Should().Be(256, "two good steps in a row double the scale");
        scaler.SkippedSteps.Should().Be(1);
        model.modules().OfType<BatchNorm2d>().SelectMany(b => b.parameters()).Should().OnlyContain(p => p.dtype == ScalarType.Float32);
    }

    [Fact]
    public void Float16_without_a_scaler_is_refused()
    {
        using var model = new ResNet(TinyFamilies.Config("resnet_d"));
        var act = () => new MixedPrecisionTrainer(model, ScalarType.Float16, p => new Sgd(p, 0.01));
        act.Should().Throw<ArgumentException>().WithMessage(
            "float16 training needs loss scaling: pass a DynamicLossScaler (small gradients flush to zero in float16). (Parameter 'scaler')");
        var float32 = () => new MixedPrecisionTrainer(model, ScalarType.Float32, p => new Sgd(p, 0.01));
        float32.Should().Throw<ArgumentException>().WithMessage("dtype must be BFloat16 or Float16, got Float32. (Parameter 'dtype')");
    }

    /// <summary>Per-step losses of <see cref="Steps"/> steps; <paramref name="dtype"/> null trains in plain float32.</summary>
    private static float[] Train(ScalarType? dtype)
    {
        manual_seed(3);
        using var model = new ResNet(TinyFamilies.Config("resnest_2s1x64d"));
        manual_seed(4);
        using var images = randn(32, 3, 32, 32);
        using var labels = randint(0, 5, new long[] { 32 });
        using var input = dtype is { } half ? images.to(half) : images.alias();
        Func<IEnumerable<Parameter>, optim.Optimizer> sgd = p => new Sgd(p, 0.02, momentum: 0.9);
        using var trainer = dtype is { } d ? new MixedPrecisionTrainer(model, d, sgd) : null;
        using var optimizer = trainer is null ? sgd(model.parameters()) : null;
        model.train();
        var losses = new float[Steps];
        for (int step = 0; step < Steps; step++)
        {
            using var scope = NewDisposeScope();
            long start = step % 4 * 8;
            var x = input.narrow(0, start, 8);
            var y = labels.narrow(0, start, 8);
            Tensor Loss() => nn.functional.cross_entropy(model.call(x).to(ScalarType.Float32), y);
            if (trainer is not null)
            {
                losses[step] = trainer.Step(Loss).Loss.item<float>();
            }
            else
            {
                model.zero_grad();
                var loss = Loss();
                loss.backward();
                optimizer!.step();
                losses[step] = loss.item<float>();
            }
        }
        return losses;
    }
}
