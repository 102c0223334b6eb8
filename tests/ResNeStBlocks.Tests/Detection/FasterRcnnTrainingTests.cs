using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using ResNeStBlocks.Detection;
using ResNeStBlocks.Detection.Models;
using ResNeStBlocks.Testing;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Detection;

/// <summary>
/// fasterrcnn_resnet50_fpn's training forward against torchvision 0.14 (tests/fixtures/detection-models/
/// fasterrcnn_resnet50_fpn.training.json): the four named losses in float64 with the generator's det-fill and both
/// samplers replaced by the deterministic one (the first positives and negatives in index order); the default sampler's
/// seeded draws, one SGD step and the refusal of a degenerate box.
/// </summary>
public class FasterRcnnTrainingTests
{
    private static readonly string[] LossNames = { "loss_box_reg", "loss_classifier", "loss_objectness", "loss_rpn_box_reg" };
    private readonly Xunit.Abstractions.ITestOutputHelper output;

    public FasterRcnnTrainingTests(Xunit.Abstractions.ITestOutputHelper output) => this.output = output;

    [Theory]
    [InlineData("boxes")]
    [InlineData("empty")]
    public void Det_filled_float64_losses_with_the_first_samples_equal_torchvisions(string caseName)
    {
        var fixture = DetectorFixtures.Json("fasterrcnn_resnet50_fpn.training.json");
        var testCase = fixture.GetProperty("cases").GetProperty(caseName);
        var options = new DetectionOptions { MinSize = fixture.GetProperty("min_size").GetInt32(), MaxSize = fixture.GetProperty("max_size").GetInt32() };
        using var model = (FasterRcnn)DetectionModels.Create("fasterrcnn_resnet50_fpn", options: options);
        model.to(ScalarType.Float64);
        model.eval();
        FasterRcnnTests.DetFill(model, fixture);
        model.Rpn.Sampler = new BalancedPositiveNegativeSampler(options.RpnBatchSizePerImage, options.RpnPositiveFraction, shuffle: false);
        model.RoiHeads.Sampler = new BalancedPositiveNegativeSampler(options.BoxBatchSizePerImage, options.BoxPositiveFraction, shuffle: false);
        using var scope = NewDisposeScope();
        var images = DetectorFixtures.Images(testCase);
        var targets = Targets(testCase);
        using var noGrad = no_grad();
        var losses = model.Losses(images, targets);
        // torchvision's loss_objectness is float32 even in a float64 model (its anchor labels are float32); 1e-7 apart.
        double worst = DetectorFixtures.LossesShouldEqual(losses, LossNames, testCase.GetProperty("losses"), 1e-6, output.WriteLine);
        output.WriteLine($"max |loss difference| {worst:E2}");
        model.training.Should().BeFalse("Losses trains in train mode and restores the mode the module was in");
    }

    [Fact]
    public void The_default_samplers_are_balanced_random_and_repeat_with_a_seeded_generator()
    {
        var options = new DetectionOptions { MinSize = 64, MaxSize = 64 };
        manual_seed(24);
        using var model = (FasterRcnn)DetectionModels.Create("fasterrcnn_resnet50_fpn", options: options);
        var rpnDefault = model.Rpn.Sampler.Should().BeOfType<BalancedPositiveNegativeSampler>().Subject;
        (rpnDefault.BatchSizePerImage, rpnDefault.PositiveFraction, rpnDefault.Shuffle).Should().Be((256, 0.5, true));
        var boxDefault = model.RoiHeads.Sampler.Should().BeOfType<BalancedPositiveNegativeSampler>().Subject;
        (boxDefault.BatchSizePerImage, boxDefault.PositiveFraction, boxDefault.Shuffle).Should().Be((512, 0.25, true));
        var act = () => model.RoiHeads.Sampler = null!;
        act.Should().Throw<ArgumentNullException>().WithParameterName("value");

        using var scope = NewDisposeScope();
        var (images, targets) = TinyBatch(ScalarType.Float32);
        using var noGrad = no_grad();
        double[] Run(ulong seed)
        {
            model.Rpn.Sampler = new BalancedPositiveNegativeSampler(256, 0.5, new Generator(seed));
            model.RoiHeads.Sampler = new BalancedPositiveNegativeSampler(512, 0.25, new Generator(seed + 1));
            var losses = model.Losses(images, targets);
            return LossNames.Select(n => losses[n].ToDouble()).ToArray();
        }
        var first = Run(5);
        var again = Run(5);
        output.WriteLine(string.Join(", ", first.Select(v => v.ToString("R"))));
        again.Should().Equal(first);
        first.Should().OnlyContain(v => double.IsFinite(v) && v >= 0);
    }

    [Fact]
    public void One_sgd_step_lowers_the_total_loss_on_its_batch()
    {
        var options = new DetectionOptions { MinSize = 64, MaxSize = 64 };
        manual_seed(24);
        using var model = (FasterRcnn)DetectionModels.Create("fasterrcnn_resnet50_fpn", options: options);
        model.Rpn.Sampler = new BalancedPositiveNegativeSampler(256, 0.5, shuffle: false);
        model.RoiHeads.Sampler = new BalancedPositiveNegativeSampler(512, 0.25, shuffle: false);
        var (images, targets) = TinyBatch(ScalarType.Float32);
        double before;
        using (var scope = NewDisposeScope())
        {
            var total = Total(model.Losses(images, targets));
            before = total.ToDouble();
            total.backward();
        }
        // trainable_backbone_layers = 3: the stem and layer1 are frozen (no gradient), layer2 on and the heads train;
        // the FrozenBatchNorm2d statistics are buffers, which no step changes.
        var gradients = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad is not null);
        gradients["backbone.body.conv1.weight"].Should().BeFalse();
        gradients["backbone.body.layer1.0.conv1.weight"].Should().BeFalse();
        gradients["backbone.body.layer2.0.conv1.weight"].Should().BeTrue();
        gradients["rpn.head.conv.0.0.weight"].Should().BeTrue();
        gradients["roi_heads.box_predictor.bbox_pred.weight"].Should().BeTrue();
        using Scalar step = -1e-3;
        using (no_grad())
        {
            foreach (var p in model.parameters().Where(p => p.requires_grad && p.grad is not null))
                p.add_(p.grad!, step);
        }
        model.zero_grad();
        double after;
        using (var scope = NewDisposeScope())
        using (no_grad())
            after = Total(model.Losses(images, targets)).ToDouble();
        output.WriteLine($"total loss {before:R} -> {after:R}");
        after.Should().BeLessThan(before);
        foreach (var image in images)
            image.Dispose();
        foreach (var target in targets)
        {
            target.Boxes.Dispose();
            target.Labels.Dispose();
        }
    }

    [Fact]
    public void A_degenerate_box_is_refused_before_any_computation()
    {
        using var model = DetectionModels.Create("fasterrcnn_resnet50_fpn", options: new DetectionOptions { MinSize = 64, MaxSize = 64 });
        using var image = zeros(3, 64, 64);
        using var boxes = tensor(new float[] { 4, 4, 20, 20, 30, 10, 30, 40 }, new long[] { 2, 4 });
        using var labels = tensor(new long[] { 1, 2 });
        var act = () => model.Losses(new[] { image }, new[] { new DetectionTarget(boxes, labels) });
        act.Should().Throw<ArgumentException>()
            .WithMessage("All boxes must have positive width and height: target 0's box 1 is [30, 10, 30, 40] (x1, y1, x2, y2 with x2 > x1 and y2 > y1).*");
    }

    private static Tensor Total(IReadOnlyDictionary<string, Tensor> losses) =>
        losses.Values.Aggregate((a, b) => a.add(b, HeldScalars.One));

    /// <summary>Two 64x64 images (one box, three boxes), kept at their size by MinSize = MaxSize = 64.</summary>
    private static (Tensor[] Images, DetectionTarget[] Targets) TinyBatch(ScalarType dtype)
    {
        var images = new[] { DetectorFixtures.Image(0, 64, 64).to(dtype), DetectorFixtures.Image(1, 64, 64).to(dtype) };
        var targets = new[]
        {
            new DetectionTarget(tensor(new double[] { 8, 10, 40, 50 }, new long[] { 1, 4 }, dtype), tensor(new long[] { 3 })),
            new DetectionTarget(tensor(new double[] { 2, 2, 30, 30, 20, 24, 60, 62, 40, 5, 60, 20 }, new long[] { 3, 4 }, dtype), tensor(new long[] { 1, 7, 12 })),
        };
        return (images, targets);
    }

    private static DetectionTarget[] Targets(JsonElement testCase)
    {
        var boxes = testCase.GetProperty("boxes").EnumerateArray().ToArray();
        var labels = testCase.GetProperty("labels").EnumerateArray().ToArray();
        return boxes.Select((b, i) =>
        {
            var values = b.EnumerateArray().SelectMany(box => box.EnumerateArray().Select(e => e.GetDouble())).ToArray();
            var classes = labels[i].EnumerateArray().Select(e => e.GetInt64()).ToArray();
            return new DetectionTarget(tensor(values, new long[] { classes.Length, 4 }, ScalarType.Float64), tensor(classes, ScalarType.Int64));
        }).ToArray();
    }
}
