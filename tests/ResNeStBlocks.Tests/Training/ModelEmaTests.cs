using System;
using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Zoo;
using TorchSharp;
using ResNeStBlocks.Training;
using Xunit;
using ResNeStBlocks.Testing;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Training;

public sealed class ModelEmaTests
{
    [Fact]
    public void After_k_steps_the_average_equals_the_hand_computed_one()
    {
        manual_seed(11);
        using var model = new ResNet(TinyTrainingModel.Config());
        using var ema = ModelEma.For(model, new EmaOptions(Decay: 0.9));
        var expected = StateSnapshot.Values(model);
        var decays = new List<double>();

        for (int step = 1; step <= 4; step++)
        {
            Perturb(model, step);
            var weights = StateSnapshot.Values(model);
            double decay = ema.Update(model, step);
            decays.Add(decay);
            foreach (var key in expected.Keys.ToList())
            {
                expected[key] = key.EndsWith("num_batches_tracked", StringComparison.Ordinal)
                    ? weights[key]
                    : expected[key].Zip(weights[key], (e, w) => decay * e + (1 - decay) * w).ToArray();
            }
        }

        decays.Should().Equal(0, 0.9, 0.9, 0.9);   // the first update copies (timm: step - update_after_step - 1 <= 0)
        var actual = StateSnapshot.Values(ema.Module);
        actual.Keys.Should().Equal(expected.Keys);
        foreach (var key in expected.Keys)
            actual[key].Should().Equal(expected[key], (a, e) => Math.Abs(a - e) <= 1e-6 + 1e-5 * Math.Abs(e), key);
        actual["fc.weight"].Should().NotEqual(StateSnapshot.Values(model)["fc.weight"], "the average lags the model");
    }

    [Fact]
    public void Integer_buffers_are_copied_and_excluded_float_buffers_too()
    {
        manual_seed(12);
        using var model = new ResNet(TinyTrainingModel.Config());
        using var ema = ModelEma.For(model, new EmaOptions(Decay: 0.5, ExcludeBuffers: true));
        ema.Update(model, 1);
        Perturb(model, 1);

        ema.Update(model, 2);

        var average = StateSnapshot.Values(ema.Module);
        var current = StateSnapshot.Values(model);
        average["bn1.num_batches_tracked"].Should().Equal(current["bn1.num_batches_tracked"]);
        average["bn1.running_mean"].Should().Equal(current["bn1.running_mean"]);
        average["bn1.weight"].Should().NotEqual(current["bn1.weight"]);
    }

    [Theory]
    [InlineData(1, 0.0)]
    [InlineData(2, 0.3700394750525634)]     // 1 - 2^(-2/3)
    [InlineData(3, 0.5192501432308638)]     // 1 - 3^(-2/3)
    [InlineData(1_000_000_000, 0.9999)]     // capped at the decay
    public void The_warmup_follows_timm_ModelEmaV3(long step, double expected) =>
        new EmaOptions(UseWarmup: true).DecayAt(step).Should().BeApproximately(expected, 1e-12);

    [Fact]
    public void The_average_is_a_separate_eval_mode_model_without_gradients_on_the_models_device()
    {
        using var model = new ResNet(TinyTrainingModel.Config());
        model.train();
        using var ema = ModelEma.For(model);

        ema.Module.Should().NotBeSameAs(model);
        ema.Module.training.Should().BeFalse();
        model.training.Should().BeTrue();
        ema.Module.parameters().Should().OnlyContain(p => !p.requires_grad);
        ema.Module.parameters().First().device.ToString().Should().Be(model.parameters().First().device.ToString());
        using var _ = no_grad();
        using var logits = ema.Module.call(randn(2, 3, 16, 16));
        logits.shape.Should().Equal(2, TinyTrainingModel.Classes);
    }

    [Fact]
    public void A_copy_of_another_structure_is_rejected()
    {
        using var model = new ResNet(TinyTrainingModel.Config());

        FluentActions.Invoking(() => new ModelEma<ResNet>(model, () => new ResNet(TinyTrainingModel.Config() with { NumClasses = 5 })))
            .Should().Throw<ArgumentException>()
            .WithMessage("createCopy must build a module with the model's exact state-dict keys, shapes and dtypes; 'fc.weight' is Float32 [3, 8] in the model but Float32 [5, 8] in the copy*");
        FluentActions.Invoking(() => new EmaOptions(Decay: 1).Validate()).Should().Throw<ArgumentOutOfRangeException>()
            .WithMessage("Decay must be in [0, 1), got 1.*");
    }

    [Fact]
    public void Any_module_is_averaged_without_a_copy_a_Sequential_by_hand()
    {
        manual_seed(13);
        using var model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2));
        var start = StateSnapshot.Values(model);
        using var ema = new ModelEma(model, new EmaOptions(Decay: 0.75));
        ema.Averages.Keys.Should().Equal("0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked");

        ema.Update(model, 1).Should().Be(0);   // the first update copies
        Perturb(model, 1);
        var moved = StateSnapshot.Values(model);
        ema.Update(model, 2).Should().Be(0.75);

        var average = ema.Averages.ToDictionary(p => p.Key, p => p.Value.to_type(ScalarType.Float64).data<double>().ToArray());
        average["0.weight"].Should().Equal(start["0.weight"].Zip(moved["0.weight"], (a, b) => 0.75 * a + 0.25 * b),
            (a, e) => Math.Abs(a - e) <= 1e-6);
        ema.Averages["1.num_batches_tracked"].item<long>().Should().Be((long)moved["1.num_batches_tracked"][0]);

        // Apply puts the average in for evaluation and the trained weights back afterwards.
        using (ema.Apply(model))
            StateSnapshot.Values(model)["0.weight"].Should().Equal(average["0.weight"]);
        StateSnapshot.Values(model)["0.weight"].Should().Equal(moved["0.weight"]);
    }

    [Fact]
    public void A_segmentation_model_is_averaged_and_its_average_loads_into_a_second_model()
    {
        manual_seed(14);
        var config = ModelZoo.Config("resnet50") with { Layers = new[] { 1, 1, 1, 1 }, Channels = new[] { 8, 8, 8, 16 }, OutputStride = 8 };
        using var model = SegmentationModels.Create(SegmentationHeadType.Fcn, config, numClasses: 3);
        using var ema = new ModelEma(model, new EmaOptions(Decay: 0.5));
        var start = StateSnapshot.Values(model);
        using var one = 1.ToScalar();
        using (no_grad())
            foreach (var (_, value) in model.state_dict())
                if (value.is_floating_point())
                    value.add_(ones_like(value), one);
        ema.Update(model, 2);

        using var evaluated = SegmentationModels.Create(SegmentationHeadType.Fcn, config, numClasses: 3);
        ema.CopyTo(evaluated);
        var average = StateSnapshot.Values(evaluated);
        average["classifier.4.bias"].Should().Equal(start["classifier.4.bias"].Select(v => v + 0.5), (a, e) => Math.Abs(a - e) <= 1e-6);
        average["aux_classifier.1.running_var"].Should().Equal(start["aux_classifier.1.running_var"].Select(v => v + 0.5), (a, e) => Math.Abs(a - e) <= 1e-6);
        FluentActions.Invoking(() => ema.CopyTo(nn.Sequential(nn.Linear(2, 2)))).Should().Throw<ArgumentException>().WithParameterName("target")
            .WithMessage("The module has no 'backbone.conv1.weight', which the average holds; pass the module the average was started from " +
                         "(the same state-dict keys). (Parameter 'target')");
    }

    private static void Perturb(nn.Module model, int step)
    {
        using var _ = no_grad();
        manual_seed(100 + step);
        foreach (var (key, value) in model.state_dict())
        {
            if (value.is_floating_point()) value.add_(randn_like(value));
            else value.add_(1);
        }
    }

}
