using System;
using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Detection;
using ResNeStBlocks.Testing;
using Xunit;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ResNeStBlocks.Tests.Detection;

/// <summary>
/// The detection losses against torchvision 0.14 / PyTorch 1.13 (detection/losses.safetensors): values and the gradient
/// with respect to the first input, every reduction.
/// </summary>
public class LossParityTests
{
    private const double Tight = 1e-12;

    public static IEnumerable<object[]> SmoothL1Cases() => DetectionFixtures.Of("smooth_l1_loss");

    public static IEnumerable<object[]> FocalCases() => DetectionFixtures.Of("sigmoid_focal_loss");

    public static IEnumerable<object[]> GiouCases() => DetectionFixtures.Of("generalized_box_iou_loss");

    [Theory]
    [MemberData(nameof(SmoothL1Cases))]
    public void Smooth_l1_equals_pytorch(string name)
    {
        var c = DetectionFixtures.Case(name);
        Check(c, "input", x => DetectionLosses.SmoothL1Loss(x, c.Load()["target"], c.Double("beta"), ReductionOf(c)));
    }

    [Theory]
    [MemberData(nameof(FocalCases))]
    public void Sigmoid_focal_loss_equals_torchvision(string name)
    {
        var c = DetectionFixtures.Case(name);
        Check(c, "inputs", x => DetectionLosses.SigmoidFocalLoss(x, c.Load()["targets"], c.Double("alpha"), c.Double("gamma"), ReductionOf(c)));
    }

    [Theory]
    [MemberData(nameof(GiouCases))]
    public void Generalized_iou_loss_equals_torchvision(string name)
    {
        var c = DetectionFixtures.Case(name);
        Check(c, "boxes1", x => DetectionLosses.GeneralizedBoxIouLoss(x, c.Load()["boxes2"], ReductionOf(c), c.Double("eps")));
    }

    [Fact]
    public void Centerness_targets_and_loss_equal_fcos()
    {
        var t = DetectionFixtures.Case("centerness_targets").Load();
        using var regression = new BoxLinearCoder(normalizeBySize: true).Encode(t["anchors"], t["gt"]);
        TensorAssert.Close(regression, t["regression"], Tight, 0, "FCOS regression targets");
        using var targets = DetectionLosses.CenternessTargets(regression);
        TensorAssert.Close(targets, t["targets"], Tight, 0, "centre-ness targets");
        var c = DetectionFixtures.Case("centerness");
        Check(c, "logits", x => DetectionLosses.CenternessLoss(x, c.Load()["targets"]));
    }

    [Fact]
    public void The_fixtures_cover_every_reduction_and_the_edges()
    {
        SmoothL1Cases().Should().HaveCount(9);
        FocalCases().Should().HaveCount(12);
        GiouCases().Select(r => (string)r[0]).Should().Contain("giou_mean_empty");
        // A pair far apart has GIoU below 0: the loss exceeds 1.
        DetectionFixtures.Case("giou_none").Load()["loss"].max().item<double>().Should().BeGreaterThan(1);
    }

    [Fact]
    public void Mismatched_pairs_are_refused()
    {
        using var a = zeros(3, 4);
        using var b = zeros(3, 5);
        FluentActions.Invoking(() => DetectionLosses.SmoothL1Loss(a, b)).Should().Throw<ArgumentException>()
            .WithParameterName("target").WithMessage("target must have the shape of input ([3, 4]), got [3, 5].*");
        FluentActions.Invoking(() => DetectionLosses.SmoothL1Loss(a, a, beta: -1)).Should().Throw<ArgumentOutOfRangeException>()
            .WithParameterName("beta");
        FluentActions.Invoking(() => DetectionLosses.SigmoidFocalLoss(a, a, gamma: -1)).Should().Throw<ArgumentOutOfRangeException>()
            .WithParameterName("gamma");
    }

    private static void Check(DetectionCase c, string first, Func<Tensor, Tensor> loss)
    {
        var t = c.Load();
        using var input = t[first].detach().requires_grad_(true);
        using var value = loss(input);
        TensorAssert.Close(value, t["loss"], Tight, Tight, c.Name);
        if (!t.ContainsKey("grad"))
            return;
        using var total = value.sum();
        total.backward();
        TensorAssert.Close(input.grad!, t["grad"], Tight, Tight, c.Name + " gradient");
    }

    private static Reduction ReductionOf(DetectionCase c) => c.String("reduction") switch
    {
        "none" => Reduction.None,
        "mean" => Reduction.Mean,
        "sum" => Reduction.Sum,
        var other => throw new ArgumentException($"Unknown reduction '{other}' in the fixture.", nameof(c)),
    };
}
