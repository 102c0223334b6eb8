using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using ResNeStBlocks.Detection.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Detection;

/// <summary>
/// fcos_resnet50_fpn against torchvision 0.14 (tests/fixtures/detection-models, generate_fcos.py): its state-dict keys,
/// shapes, trainable parameters and count, its eval-mode detections and train-mode losses in float64 with the
/// generator's det-fill, and one training step.
/// </summary>
public class FcosTests
{
    private readonly Xunit.Abstractions.ITestOutputHelper output;

    public FcosTests(Xunit.Abstractions.ITestOutputHelper output) => this.output = output;

    [Fact]
    public void Keys_shapes_trainable_parameters_and_count_are_torchvisions()
    {
        using var model = DetectionModels.Create("fcos_resnet50_fpn");
        DetectorFixtures.ShouldMatchManifest(model, "fcos_resnet50_fpn.manifest.json", 32_269_600);
        model.Should().BeOfType<Fcos>().Which.NumClasses.Should().Be(91);
    }

    [Theory]
    [InlineData("fcos_resnet50_fpn.detections.json")]
    [InlineData("fcos_resnet50_fpn.resized.detections.json")]
    public void Det_filled_float64_detections_equal_torchvisions(string file)
    {
        // The first file's images keep their size; the second's are resized and their boxes mapped back.
        var fixture = DetectorFixtures.Json(file);
        using var model = DetFilled(fixture);
        var images = DetectorFixtures.Images(fixture);
        var found = model.Detect(images);
        var (scores, boxes) = DetectorFixtures.ShouldEqual(found, fixture, 1e-6);
        output.WriteLine($"{string.Join(", ", found.Select(d => d.Labels.size(0)))} detections; max |score difference| {scores:E2}, max |box difference| {boxes:E2}");
        foreach (var d in found)
            d.Dispose();
        foreach (var image in images)
            image.Dispose();
    }

    [Fact]
    public void Det_filled_float64_train_mode_losses_equal_torchvisions()
    {
        // A resized image with five boxes on different levels (two overlapping) and an image with no box.
        var fixture = DetectorFixtures.Json("fcos_resnet50_fpn.losses.json");
        using var model = DetFilled(fixture);
        var images = DetectorFixtures.Images(fixture);
        var targets = Targets(fixture);
        var losses = model.Losses(images, targets);
        DetectorFixtures.LossesShouldEqual(losses, new[] { "classification", "bbox_regression", "bbox_ctrness" }, fixture.GetProperty("losses"), 1e-6, output.WriteLine);
        model.training.Should().BeFalse("Losses restores the mode it found");
        foreach (var loss in losses.Values)
            loss.Dispose();
        foreach (var target in targets)
        {
            target.Boxes.Dispose();
            target.Labels.Dispose();
        }
        foreach (var image in images)
            image.Dispose();
    }

    [Fact]
    public void One_sgd_step_lowers_the_loss_on_the_same_batch()
    {
        random.manual_seed(24);
        using var model = DetectionModels.Create("fcos_resnet50_fpn", options: new DetectionOptions { MinSize = 64, MaxSize = 96 });
        using var pattern0 = DetectorFixtures.Image(0, 64, 96);
        using var pattern1 = DetectorFixtures.Image(1, 64, 64);
        using var image0 = pattern0.to(ScalarType.Float32);
        using var image1 = pattern1.to(ScalarType.Float32);
        using var boxes0 = tensor(new float[] { 8, 6, 40, 50, 30, 20, 90, 60 }, new long[] { 2, 4 });
        using var labels0 = tensor(new long[] { 5, 7 });
        using var boxes1 = zeros(new long[] { 0, 4 });
        using var labels1 = zeros(new long[] { 0 }, ScalarType.Int64);
        var images = new[] { image0, image1 };
        var targets = new[] { new DetectionTarget(boxes0, labels0), new DetectionTarget(boxes1, labels1) };
        double before = TotalLoss(model, images, targets, step: true);
        double after = TotalLoss(model, images, targets, step: false);
        output.WriteLine($"total loss {before:R} -> {after:R}");
        after.Should().BeLessThan(before);
    }

    [Fact]
    public void Defaults_are_torchvisions_fcos_settings()
    {
        using var model = (Fcos)DetectionModels.Create("fcos_resnet50_fpn", numClasses: 5);
        model.NumClasses.Should().Be(5);
        model.AnchorGenerator.NumAnchorsPerLocation.Should().Equal(1, 1, 1, 1, 1);
        using var cell = model.AnchorGenerator.CellAnchors(4);
        cell.data<float>().ToArray().Should().Equal(-64f, -64f, 64f, 64f);
        // The towers' GroupNorms start as PyTorch's: weights 1, biases 0 (TorchSharp leaves them uninitialised).
        foreach (var (name, parameter) in model.named_parameters().Where(p => p.name.StartsWith("head.", StringComparison.Ordinal) && p.parameter.dim() == 1))
        {
            bool norm = name.Split('.')[^2] is "1" or "4" or "7" or "10";
            double expected = norm && name.EndsWith("weight", StringComparison.Ordinal) ? 1 : name.EndsWith("cls_logits.bias", StringComparison.Ordinal) ? -Math.Log(99) : 0;
            using Scalar held = expected;
            using var shifted = parameter.sub(held);
            using var difference = shifted.abs().max();
            difference.item<float>().Should().BeLessThan(1e-6f, name);
        }
    }

    [Fact]
    public void A_head_width_that_groupnorm_cannot_split_into_32_groups_is_refused()
    {
        var act = () => new FcosHead(48, 1, 91);
        act.Should().Throw<ArgumentException>().WithMessage("inChannels must be a multiple of 32 (GroupNorm's 32 groups), got 48.*")
            .Which.ParamName.Should().Be("inChannels");
    }

    private static double TotalLoss(Detector model, Tensor[] images, DetectionTarget[] targets, bool step)
    {
        using var scope = NewDisposeScope();
        var losses = model.Losses(images, targets);
        var total = losses.Values.Aggregate((a, b) => a.add(b, HeldScalars.One));
        double value = total.item<float>();
        if (step)
        {
            model.zero_grad();
            total.backward();
            using Scalar rate = -0.01;
            using (no_grad())
            {
                foreach (var parameter in model.parameters().Where(p => p.requires_grad && p.grad is not null))
                    parameter.add_(parameter.grad!, rate);
            }
        }
        return value;
    }

    /// <summary>
    /// An FCOS (<paramref name="name"/>: fcos_resnet50_fpn or one on a ResNeSt body) in float64, eval mode, with
    /// generate_fcos.py's det-fill and the fixture's gains; a BatchNorm2d body's num_batches_tracked stays 0.
    /// </summary>
    internal static Detector DetFilled(JsonElement fixture, string name = "fcos_resnet50_fpn", DetectionOptions? options = null)
    {
        options ??= new DetectionOptions { MinSize = fixture.GetProperty("min_size").GetInt32(), MaxSize = fixture.GetProperty("max_size").GetInt32() };
        var model = DetectionModels.Create(name, options: options);
        model.to(ScalarType.Float64);
        model.eval();
        double clsGain = fixture.GetProperty("cls_gain").GetDouble();
        double regGain = fixture.GetProperty("reg_gain").GetDouble();
        double ctrGain = fixture.GetProperty("ctr_gain").GetDouble();
        double clsBias = fixture.GetProperty("cls_bias").GetDouble();
        double headNormGain = fixture.GetProperty("head_norm_gain").GetDouble();
        DetectorFixtures.DetFill(model, fixture.GetProperty("norm_gain").GetDouble(),
            key => key switch
            {
                "head.classification_head.cls_logits.weight" => clsGain,
                "head.regression_head.bbox_reg.weight" => regGain,
                "head.regression_head.bbox_ctrness.weight" => ctrGain,
                _ => 1.0,
            },
            (key, u) => key.EndsWith("num_batches_tracked", StringComparison.Ordinal) ? zeros_like(u)
                : key == "head.classification_head.cls_logits.bias" ? DetectorFixtures.Affine(u, 0.2, clsBias)
                : HeadNorm(key) ? DetectorFixtures.Affine(u, 0.2, headNormGain) : null);
        return model;
    }

    /// <summary>The GroupNorm weights of the heads' towers (positions 1, 4, 7, 10 of their <c>conv</c>).</summary>
    private static bool HeadNorm(string key)
    {
        var parts = key.Split('.');
        return key.StartsWith("head.", StringComparison.Ordinal) && key.Contains(".conv.", StringComparison.Ordinal)
            && key.EndsWith("weight", StringComparison.Ordinal) && parts[^2] is "1" or "4" or "7" or "10";
    }

    private static DetectionTarget[] Targets(JsonElement fixture)
    {
        var boxes = fixture.GetProperty("boxes").EnumerateArray().ToArray();
        var labels = fixture.GetProperty("labels").EnumerateArray().ToArray();
        return boxes.Select((b, i) =>
        {
            var values = b.EnumerateArray().SelectMany(box => box.EnumerateArray().Select(e => e.GetDouble())).ToArray();
            var classes = labels[i].EnumerateArray().Select(e => e.GetInt64()).ToArray();
            return new DetectionTarget(tensor(values, new long[] { classes.Length, 4 }, ScalarType.Float64), tensor(classes, ScalarType.Int64));
        }).ToArray();
    }
}
