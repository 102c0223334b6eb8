using System;
using FluentAssertions;
using ResNeStBlocks.Training;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Training;

public class DynamicLossScalerTests
{
    [Fact]
    public void A_non_finite_step_is_skipped_and_halves_the_scale_and_good_steps_grow_it()
    {
        var scaler = new DynamicLossScaler(initialScale: 1024, growthInterval: 3);
        scaler.Update(true).Should().BeTrue();
        scaler.Update(true).Should().BeTrue();
        scaler.Scale.Should().Be(1024);
        scaler.GoodSteps.Should().Be(2);

        scaler.Update(false).Should().BeFalse();
        scaler.Scale.Should().Be(512);
        scaler.GoodSteps.Should().Be(0, "a skipped step restarts the count");
        scaler.SkippedSteps.Should().Be(1);

        scaler.Update(true).Should().BeTrue();
        scaler.Update(true).Should().BeTrue();
        scaler.Scale.Should().Be(512);
        scaler.Update(true).Should().BeTrue();
        scaler.Scale.Should().Be(1024, "three good steps in a row double the scale");
        scaler.GoodSteps.Should().Be(0);

        scaler.Update(false).Should().BeFalse();
        scaler.Update(false).Should().BeFalse();
        scaler.Scale.Should().Be(256);
        scaler.SkippedSteps.Should().Be(3);
    }

    [Fact]
    public void Injected_infinities_and_nans_are_found()
    {
        using var scope = NewDisposeScope();
        DynamicLossScaler.AllFinite(new[] { tensor(new[] { 1f, -2f }), ones(2, 3) }).Should().BeTrue();
        DynamicLossScaler.AllFinite(new[] { tensor(new[] { 1f, float.PositiveInfinity }), ones(2, 3) }).Should().BeFalse();
        DynamicLossScaler.AllFinite(new[] { ones(2), tensor(new[] { float.NegativeInfinity }) }).Should().BeFalse();
        DynamicLossScaler.AllFinite(new[] { tensor(new[] { float.NaN }).to(ScalarType.Float16) }).Should().BeFalse();
        DynamicLossScaler.AllFinite(new[] { full(4, 65504f).to(ScalarType.Float16) * 2 }).Should().BeFalse("65504 * 2 overflows float16");
        DynamicLossScaler.AllFinite(new Tensor?[] { null, ones(1) }).Should().BeTrue("parameters without a gradient are ignored");
        DynamicLossScaler.AllFinite(Array.Empty<Tensor>()).Should().BeTrue();
    }

    [Theory]
    [InlineData(0.0, 2000, 2.0, 0.5, "initialScale", "initialScale must be positive and finite, got 0.")]
    [InlineData(double.PositiveInfinity, 2000, 2.0, 0.5, "initialScale", "initialScale must be positive and finite, got Infinity.")]
    [InlineData(65536.0, 0, 2.0, 0.5, "growthInterval", "growthInterval must be at least 1, got 0.")]
    [InlineData(65536.0, 2000, 1.0, 0.5, "growthFactor", "growthFactor must be above 1 and finite, got 1.")]
    [InlineData(65536.0, 2000, 2.0, 1.0, "backoffFactor", "backoffFactor must be in (0, 1), got 1.")]
    public void Bad_settings_are_refused(double initial, int interval, double growth, double backoff, string parameter, string message)
    {
        var act = () => new DynamicLossScaler(initial, interval, growth, backoff);
        act.Should().Throw<ArgumentOutOfRangeException>().Where(e => e.ParamName == parameter && e.Message.StartsWith(message, StringComparison.Ordinal));
    }
}
