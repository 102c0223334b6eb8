using System;
using System.Collections.Generic;
using System.Diagnostics;
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
/// maskrcnn_resnet50_fpn's, maskrcnn_resnet50_fpn_v2's and maskrcnn_resnest50d_fpn's training forward against torchvision
/// 0.14 (tests/fixtures/detection-models/*.training.json, generate_mask_training.py, generate_resnest_detectors.py for the
/// ResNeSt body): the five named losses in float64 with
/// generate_mask.py's det-fill and both samplers replaced by the deterministic one; one SGD step; the refusal of a
/// target without masks.
/// </summary>
public class MaskRcnnTrainingTests
{
    private static readonly string[] LossNames = { "loss_box_reg", "loss_classifier", "loss_mask", "loss_objectness", "loss_rpn_box_reg" };
    private readonly Xunit.Abstractions.ITestOutputHelper output;

    public MaskRcnnTrainingTests(Xunit.Abstractions.ITestOutputHelper output) => this.output = output;

    [Theory]
    [InlineData("maskrcnn_resnet50_fpn", "boxes")]
    [InlineData("maskrcnn_resnet50_fpn", "resized")]
    [InlineData("maskrcnn_resnet50_fpn_v2", "boxes")]
    // The ResNeSt body (generate_resnest_detectors.py): its BatchNorms stay frozen in eval mode while the rest trains.
    [InlineData("maskrcnn_resnest50d_fpn", "boxes")]
    public void Det_filled_float64_losses_with_the_first_samples_equal_torchvisions(string name, string caseName)
    {
        // "boxes": 160 x 224 and 224 x 160 images, kept; "resized": two 200 x 200 images resized to 160 x 160 with their
        // boxes and masks (nearest), the second without boxes. v2's BatchNorm layers run on batch statistics.
        var fixture = DetectorFixtures.Json(name + ".training.json");
        var testCase = fixture.GetProperty("cases").GetProperty(caseName);
        using var model = (MaskRcnn)MaskFixtures.Model(name, fixture);
        var options = new DetectionOptions();
        int boxSamples = fixture.TryGetProperty("box_batch_size_per_image", out var samples) ? samples.GetInt32() : options.BoxBatchSizePerImage;
        model.Rpn.Sampler = new BalancedPositiveNegativeSampler(options.RpnBatchSizePerImage, options.RpnPositiveFraction, shuffle: false);
        model.RoiHeads.Sampler = new BalancedPositiveNegativeSampler(boxSamples, options.BoxPositiveFraction, shuffle: false);
        using var scope = NewDisposeScope();
        var images = DetectorFixtures.Images(testCase);
        var targets = Targets(testCase);
        using var noGrad = no_grad();
        var clock = Stopwatch.StartNew();
        var losses = model.Losses(images, targets);
        clock.Stop();
        double worst = DetectorFixtures.LossesShouldEqual(losses, LossNames, testCase.GetProperty("losses"), 1e-6, output.WriteLine);
        output.WriteLine($"max |loss difference| {worst:E2}; Losses {clock.ElapsedMilliseconds} ms");
        model.training.Should().BeFalse("Losses trains in train mode and restores the mode the module was in");
    }

    [Fact]
    public void One_sgd_step_lowers_the_total_loss_on_its_batch()
    {
        var options = new DetectionOptions { MinSize = 64, MaxSize = 64 };
        manual_seed(24);
        using var model = (MaskRcnn)DetectionModels.Create("maskrcnn_resnet50_fpn", options: options);
        model.Rpn.Sampler = new BalancedPositiveNegativeSampler(256, 0.5, shuffle: false);
        model.RoiHeads.Sampler = new BalancedPositiveNegativeSampler(512, 0.25, shuffle: false);
        using var outer = NewDisposeScope();
        var images = new[] { DetectorFixtures.Image(0, 64, 64).to(ScalarType.Float32), DetectorFixtures.Image(1, 64, 64).to(ScalarType.Float32) };
        var targets = new[]
        {
            Target(ScalarType.Float32, 64, 64, (new double[] { 8, 10, 40, 50 }, 3, false)),
            Target(ScalarType.Float32, 64, 64, (new double[] { 2, 2, 30, 30 }, 1, true), (new double[] { 20, 24, 60, 62 }, 7, false)),
        };
        double before, beforeMask;
        using (var scope = NewDisposeScope())
        {
            var losses = model.Losses(images, targets);
            var total = Total(losses);
            before = total.ToDouble();
            beforeMask = losses["loss_mask"].ToDouble();
            total.backward();
        }
        var gradients = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad is not null);
        gradients["roi_heads.mask_predictor.mask_fcn_logits.weight"].Should().BeTrue();
        gradients["roi_heads.mask_head.0.0.weight"].Should().BeTrue();
        using Scalar step = -1e-4;
        using (no_grad())
        {
            foreach (var p in model.parameters().Where(p => p.requires_grad && p.grad is not null))
                p.add_(p.grad!, step);
        }
        model.zero_grad();
        double after, afterMask;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var losses = model.Losses(images, targets);
            after = Total(losses).ToDouble();
            afterMask = losses["loss_mask"].ToDouble();
        }
        output.WriteLine($"total loss {before:R} -> {after:R}; loss_mask {beforeMask:R} -> {afterMask:R}");
        after.Should().BeLessThan(before);
        afterMask.Should().BeLessThan(beforeMask);
    }

    [Fact]
    public void A_target_without_masks_is_refused_before_any_computation()
    {
        using var model = DetectionModels.Create("maskrcnn_resnet50_fpn", options: new DetectionOptions { MinSize = 32, MaxSize = 32 });
        using var scope = NewDisposeScope();
        var image = zeros(3, 32, 32);
        var withMasks = Target(ScalarType.Float32, 32, 32, (new double[] { 1, 1, 20, 20 }, 1, false));
        var without = new DetectionTarget(tensor(new float[] { 1, 1, 20, 20 }, new long[] { 1, 4 }), tensor(new long[] { 1 }));
        var act = () => model.Losses(new[] { image, image }, new[] { withMasks, without });
        act.Should().Throw<ArgumentException>().WithParameterName("targets")
            .WithMessage("Target 1 has no masks: Mask R-CNN trains on one [K, H, W] mask per box; pass them as new DetectionTarget(boxes, labels, masks).*");
    }

    private static Tensor Total(IReadOnlyDictionary<string, Tensor> losses) =>
        losses.Values.Aggregate((a, b) => a.add(b, HeldScalars.One));

    /// <summary>A target whose masks are each box's rectangle or inscribed ellipse (pixel centres inside).</summary>
    private static DetectionTarget Target(ScalarType dtype, int h, int w, params (double[] Box, long Label, bool Ellipse)[] boxes)
    {
        var rows = boxes.Select(b => Spans(b.Box, b.Ellipse, h, w)).ToArray();
        return new DetectionTarget(tensor(boxes.SelectMany(b => b.Box).ToArray(), new long[] { boxes.Length, 4 }, dtype),
            tensor(boxes.Select(b => b.Label).ToArray()), Masks(rows, h, w));
    }

    /// <summary>generate_mask_training.py's spans: per row, the pixels whose centres lie in the rectangle or ellipse.</summary>
    private static List<int[]> Spans(double[] box, bool ellipse, int h, int w)
    {
        double cx = (box[0] + box[2]) / 2, cy = (box[1] + box[3]) / 2, rx = (box[2] - box[0]) / 2, ry = (box[3] - box[1]) / 2;
        var result = new List<int[]>();
        for (int y = 0; y < h; y++)
        {
            var inside = Enumerable.Range(0, w).Where(x => ellipse
                ? Math.Pow((x + 0.5 - cx) / rx, 2) + Math.Pow((y + 0.5 - cy) / ry, 2) <= 1
                : box[0] <= x + 0.5 && x + 0.5 <= box[2] && box[1] <= y + 0.5 && y + 0.5 <= box[3]).ToArray();
            if (inside.Length > 0)
                result.Add(new[] { y, inside[0], inside[^1] + 1 });
        }
        return result;
    }

    /// <summary>[K, H, W] uint8 masks from per-mask row spans [y, x0, x1).</summary>
    private static Tensor Masks(IReadOnlyList<IReadOnlyList<int[]>> rows, int h, int w)
    {
        var values = new byte[rows.Count * h * w];
        for (int k = 0; k < rows.Count; k++)
        {
            foreach (var span in rows[k])
            {
                for (int x = span[1]; x < span[2]; x++)
                    values[(k * h + span[0]) * w + x] = 1;
            }
        }
        return tensor(values, new long[] { rows.Count, h, w });
    }

    private static DetectionTarget[] Targets(JsonElement testCase)
    {
        var sizes = testCase.GetProperty("images").EnumerateArray().Select(e => (H: e[0].GetInt32(), W: e[1].GetInt32())).ToArray();
        return testCase.GetProperty("targets").EnumerateArray().Select((t, i) =>
        {
            var boxes = t.GetProperty("boxes").EnumerateArray().SelectMany(b => b.EnumerateArray().Select(e => e.GetDouble())).ToArray();
            var labels = t.GetProperty("labels").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var rows = t.GetProperty("masks").EnumerateArray()
                .Select(m => (IReadOnlyList<int[]>)m.EnumerateArray().Select(s => s.EnumerateArray().Select(e => e.GetInt32()).ToArray()).ToList()).ToArray();
            return new DetectionTarget(tensor(boxes, new long[] { labels.Length, 4 }, ScalarType.Float64), tensor(labels, ScalarType.Int64),
                Masks(rows, sizes[i].H, sizes[i].W));
        }).ToArray();
    }
}
