using System;
using FluentAssertions;
using ResNeStBlocks.Vision;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Vision;

public sealed class SegmentationLossTests
{
    // Two classes, pixels in a row: logits (0, ln 3) give p = (1/4, 3/4) with label 1; logits (0, 0) give (1/2, 1/2)
    // with label 0; a third pixel labelled 255 is ignored where asked.
    private static Tensor Logits(int classes = 2)
    {
        var values = new double[classes * 3];
        values[1 * 3 + 0] = Math.Log(3);
        values[1 * 3 + 2] = 5;
        for (int c = 2; c < classes; c++)
            for (int p = 0; p < 3; p++)
                values[c * 3 + p] = -1000; // probability exactly 0 in float64
        return tensor(values, new long[] { 1, classes, 1, 3 });
    }

    private static readonly Tensor Labels = tensor(new long[] { 1, 0, 255 }, new long[] { 1, 1, 3 });

    [Fact]
    public void Dice_matches_hand_computed_smp_values()
    {
        using var logits = Logits();
        // class 0: intersection 1/2, cardinality (1/4 + 1/2) + 1 -> dice 4/7; class 1: 3/4 and (3/4 + 1/2) + 1 -> 2/3.
        using var loss = SegmentationLosses.Dice(logits, Labels, ignoreIndex: 255);
        loss.item<double>().Should().BeApproximately((3.0 / 7 + 1.0 / 3) / 2, 1e-12);

        // smooth = 1: (1 + 1) / (1.75 + 1) and (1.5 + 1) / (2.25 + 1).
        using var smoothed = SegmentationLosses.Dice(logits, Labels, smooth: 1, ignoreIndex: 255);
        smoothed.item<double>().Should().BeApproximately((1 - 8.0 / 11 + 1 - 10.0 / 13) / 2, 1e-12);
    }

    [Fact]
    public void Dice_zeroes_classes_absent_from_the_target_but_averages_over_all()
    {
        using var logits = Logits(3);
        using var loss = SegmentationLosses.Dice(logits, Labels, ignoreIndex: 255);
        loss.item<double>().Should().BeApproximately((3.0 / 7 + 1.0 / 3) / 3, 1e-12);
    }

    [Fact]
    public void Dice_without_ignore_counts_every_pixel()
    {
        using var logits = Logits().narrow(3, 0, 2);
        using var labels = Labels.narrow(2, 0, 2);
        using var loss = SegmentationLosses.Dice(logits, labels);
        loss.item<double>().Should().BeApproximately((3.0 / 7 + 1.0 / 3) / 2, 1e-12);
    }

    [Fact]
    public void Focal_matches_hand_computed_values_and_ignores_255()
    {
        using var logits = Logits();
        double ce0 = Math.Log(4.0 / 3), ce1 = Math.Log(2);
        using var focal = SegmentationLosses.Focal(logits, Labels);
        focal.item<double>().Should().BeApproximately((0.25 * 0.25 * ce0 + 0.5 * 0.5 * ce1) / 2, 1e-12);
        using var crossEntropy = SegmentationLosses.Focal(logits, Labels, gamma: 0);
        crossEntropy.item<double>().Should().BeApproximately((ce0 + ce1) / 2, 1e-12);
    }

    [Fact]
    public void Focal_has_a_gradient_and_a_bad_target_is_named()
    {
        using var logits = Logits().requires_grad_();
        using var loss = SegmentationLosses.Focal(logits, Labels);
        loss.backward();
        logits.grad!.abs().sum().item<double>().Should().BeGreaterThan(0);

        using var mask = zeros(new long[] { 1, 1, 3 }, ScalarType.Byte);
        FluentActions.Invoking(() => SegmentationLosses.Focal(logits, mask)).Should().Throw<ArgumentException>().Which.Message.Should().Be(
            "Expected an int64 target [1, 1, 3] (the logits' batch and size), got Byte [1, 1, 3]; convert a mask with .to(ScalarType.Int64). (Parameter 'target')");
    }
}
