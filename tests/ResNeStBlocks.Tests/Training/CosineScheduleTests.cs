using System;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Training;
using Xunit;

namespace ResNeStBlocks.Tests.Training;

public sealed class CosineScheduleTests
{
    // timm CosineLRScheduler(t_initial=100, lr_min=1e-5, warmup_t=5, warmup_lr_init=1e-4) over an optimizer with lr=0.1.
    private static readonly CosineSchedule Timm = new(BaseRate: 0.1, Length: 100, MinRate: 1e-5, WarmupLength: 5, WarmupInitialRate: 1e-4);

    [Theory]
    [InlineData(0, 0.0001)]
    [InlineData(4, 0.08002)]
    [InlineData(5, 0.09938447858805392)]   // warm-up end: the cosine's value at t = 5, not the peak (warmup_prefix=False)
    [InlineData(50, 0.050005)]             // midpoint: halfway between peak and minimum
    [InlineData(99, 3.466951451524866e-05)]
    [InlineData(100, 1e-5)]                // end of the cycle
    [InlineData(150, 1e-5)]                // past the end
    public void Matches_timm_at_warmup_end_midpoint_and_end(int t, double expected) =>
        Timm.At(t).Should().BeApproximately(expected, 1e-15);

    [Fact]
    public void Warms_up_linearly_then_never_rises()
    {
        var rates = Enumerable.Range(0, 120).Select(t => Timm.At(t)).ToArray();

        rates.Take(5).Should().BeInAscendingOrder();
        rates.Skip(5).Should().BeInDescendingOrder();
        (rates[2] - rates[1]).Should().BeApproximately(rates[1] - rates[0], 1e-15);
    }

    [Fact]
    public void A_warmup_prefix_starts_the_cosine_at_the_peak_after_the_warmup()
    {
        var schedule = Timm with { WarmupPrefix = true };

        schedule.At(5).Should().BeApproximately(0.1, 1e-15);
        schedule.At(55).Should().BeApproximately(0.050005, 1e-15);
        schedule.At(105).Should().Be(1e-5);
    }

    [Fact]
    public void Per_step_counts_epochs_in_steps()
    {
        var schedule = CosineSchedule.PerStep(0.1, epochs: 10, stepsPerEpoch: 10, warmupEpochs: 1, minRate: 1e-5, warmupInitialRate: 1e-4);

        schedule.Should().Be(new CosineSchedule(0.1, 100, 1e-5, 10, 1e-4));
        schedule.At(50).Should().BeApproximately(0.050005, 1e-15);
    }

    [Fact]
    public void Bad_values_are_rejected_naming_the_value()
    {
        FluentActions.Invoking(() => (Timm with { Length = 0 }).At(0)).Should().Throw<ArgumentOutOfRangeException>()
            .WithMessage("Length must be at least 1, got 0.*");
        FluentActions.Invoking(() => (Timm with { MinRate = 0.2 }).At(0)).Should().Throw<ArgumentOutOfRangeException>()
            .WithMessage("MinRate must be in [0, BaseRate], got 0.2.*");
        FluentActions.Invoking(() => Timm.At(-1)).Should().Throw<ArgumentOutOfRangeException>()
            .WithMessage("t must be 0 or more, got -1.*");
        FluentActions.Invoking(() => CosineSchedule.PerStep(0.1, 0, 10, 0, 0, 0)).Should().Throw<ArgumentOutOfRangeException>()
            .WithMessage("epochs must be at least 1, got 0.*");
    }
}
