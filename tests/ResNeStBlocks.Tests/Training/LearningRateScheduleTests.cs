using System;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Training;
using Xunit;

namespace ResNeStBlocks.Tests.Training;

public sealed class LearningRateScheduleTests
{
    // torch 1.13: SGD(lr=0.02), MultiStepLR(milestones=[2, 3], gamma=0.1) stepped per epoch, and in epoch 0
    // LinearLR(start_factor=1/1000, total_iters=min(1000, 5 - 1)) stepped per iteration, as torchvision's
    // references/detection/train.py; 5 iterations per epoch, the optimizer's lr read before each iteration.
    private static readonly double[] Torch =
    {
        2e-05, 0.005015, 0.010010000000000002, 0.015005000000000001, 0.020000000000000004,
        0.020000000000000004, 0.020000000000000004, 0.020000000000000004, 0.020000000000000004, 0.020000000000000004,
        0.0020000000000000005, 0.0020000000000000005, 0.0020000000000000005, 0.0020000000000000005, 0.0020000000000000005,
        0.00020000000000000006, 0.00020000000000000006, 0.00020000000000000006, 0.00020000000000000006, 0.00020000000000000006,
    };

    [Fact]
    public void Warmup_multistep_matches_torchvision_detection_reference()
    {
        var schedule = new WarmupMultiStepSchedule(0.02, StepsPerEpoch: 5, Milestones: new[] { 2, 3 });

        schedule.WarmupSteps.Should().Be(4);
        for (int t = 0; t < Torch.Length; t++)
            schedule.At(t).Should().BeApproximately(Torch[t], 1e-15 * Torch[t] + 1e-20, $"step {t}");
    }

    [Fact]
    public void Warmup_is_capped_at_1000_iterations_and_one_iteration_epochs_start_at_the_factor()
    {
        new WarmupMultiStepSchedule(1, 5000, new[] { 16, 22 }).WarmupSteps.Should().Be(1000);
        new WarmupMultiStepSchedule(1, 5000, new[] { 16, 22 }).At(0, 500).Should().BeApproximately(0.001 + 0.999 * 0.5, 1e-15);
        new WarmupMultiStepSchedule(1, 1, new[] { 1 }).At(0).Should().Be(0.001);
        new WarmupMultiStepSchedule(1, 1, new[] { 1 }).At(1).Should().BeApproximately(0.1, 1e-16);
    }

    [Fact]
    public void Poly_decays_to_zero_after_its_warmup()
    {
        var schedule = new PolySchedule(0.1, Steps: 100, WarmupSteps: 10);

        schedule.At(0).Should().BeApproximately(0.001, 1e-15);
        schedule.At(5).Should().BeApproximately(0.1 * (0.01 + 0.99 * 0.5), 1e-15);
        schedule.At(10).Should().Be(0.1);
        schedule.At(55).Should().BeApproximately(0.1 * Math.Pow(0.5, 0.9), 1e-15);
        schedule.At(100).Should().Be(0);
        Enumerable.Range(10, 91).Select(t => schedule.At(t)).Should().BeInDescendingOrder();
    }
}
