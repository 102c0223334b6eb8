using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using ResNeStBlocks.Detection.Models;
using ResNeStBlocks.Testing;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Detection;

/// <summary>
/// retinanet_resnet50_fpn and retinanet_resnet50_fpn_v2 against torchvision 0.14 (tests/fixtures/detection-models,
/// generate_retinanet.py): state-dict keys, shapes, trainable parameters and count; eval-mode detections and train-mode
/// losses in float64 with the generator's det-fill; one SGD step; the labels a target may hold.
/// </summary>
public class RetinaNetTests
{
    private readonly Xunit.Abstractions.ITestOutputHelper output;

    public RetinaNetTests(Xunit.Abstractions.ITestOutputHelper output) => this.output = output;

    [Theory]
    [InlineData("retinanet_resnet50_fpn", 34_014_999)]
    [InlineData("retinanet_resnet50_fpn_v2", 38_198_935)]
    public void Keys_shapes_trainable_parameters_and_count_are_torchvisions(string name, long parameters)
    {
        using var model = DetectionModels.Create(name);
        DetectorFixtures.ShouldMatchManifest(model, name + ".manifest.json", parameters);
    }

    [Theory]
    [InlineData("retinanet_resnet50_fpn", "")]
    [InlineData("retinanet_resnet50_fpn", ".resized")]
    [InlineData("retinanet_resnet50_fpn_v2", "")]
    [InlineData("retinanet_resnet50_fpn_v2", ".resized")]
    public void Det_filled_float64_detections_equal_torchvisions(string name, string variant)
    {
        // The plain files' images keep their size; the resized ones' are resized (300 x 420 up, 500 x 350 down) and their
        // boxes mapped back to the original pixels.
        var fixture = DetectorFixtures.Json($"{name}{variant}.detections.json");
        using var model = DetFilled(name, fixture);
        model.eval();
        var images = DetectorFixtures.Images(fixture);
        var found = model.Detect(images);
        var (scores, boxes) = DetectorFixtures.ShouldEqual(found, fixture, 1e-6);
        output.WriteLine($"{found.Sum(d => d.Labels.size(0))} detections; max |score difference| {scores:E2}, max |box difference| {boxes:E2}");
        foreach (var d in found)
            d.Dispose();
        foreach (var image in images)
            image.Dispose();
    }

    [Theory]
    [InlineData("retinanet_resnet50_fpn")]
    [InlineData("retinanet_resnet50_fpn_v2")]
    public void Det_filled_float64_losses_equal_torchvisions_train_mode_losses(string name)
    {
        // The second image has no boxes: every anchor is background there. v2's BatchNorm uses the batch's statistics.
        var fixture = DetectorFixtures.Json(name + ".losses.json");
        using var model = DetFilled(name, fixture);
        var images = DetectorFixtures.Images(fixture);
        var targets = Targets(fixture, ScalarType.Float64);
        var losses = model.Losses(images, targets);
        DetectorFixtures.LossesShouldEqual(losses, new[] { "classification", "bbox_regression" }, fixture.GetProperty("losses"), 1e-6, output.WriteLine);
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

    [Theory]
    [InlineData("retinanet_resnet50_fpn")]
    [InlineData("retinanet_resnet50_fpn_v2")]
    public void One_sgd_step_lowers_the_loss_on_its_batch(string name)
    {
        using var model = DetectionModels.Create(name, options: new DetectionOptions { MinSize = 64, MaxSize = 96 });
        foreach (var (key, parameter) in model.named_parameters())
            parameter.isnan().any().item<bool>().Should().BeFalse($"{key} is initialised");
        var images = new[] { DetectorFixtures.Image(0, 64, 96).to(ScalarType.Float32), DetectorFixtures.Image(1, 64, 80).to(ScalarType.Float32) };
        var targets = new[]
        {
            Target(new[] { 8.5f, 6.25f, 40f, 50.5f, 50f, 12f, 90f, 60f }, new long[] { 5, 12 }),
            Target(new[] { 20f, 10f, 60f, 44f }, new long[] { 7 }),
        };
        var trainable = model.parameters().Where(p => p.requires_grad).ToArray();
        using var optimizer = optim.SGD(trainable, 1e-4);
        double before = TotalLoss(model, images, targets, step: true);
        optimizer.step();
        double after = TotalLoss(model, images, targets, step: false);
        output.WriteLine($"total loss {before:R} -> {after:R}");
        after.Should().BeLessThan(before);
        foreach (var target in targets)
        {
            target.Boxes.Dispose();
            target.Labels.Dispose();
        }
        foreach (var image in images)
            image.Dispose();
    }

    [Fact]
    public void A_label_outside_the_models_classes_is_refused_before_any_computation()
    {
        using var model = DetectionModels.Create("retinanet_resnet50_fpn", numClasses: 5, options: new DetectionOptions { MinSize = 64, MaxSize = 64 });
        using var image = zeros(3, 64, 64);
        var target = Target(new[] { 4f, 4f, 30f, 30f, 10f, 10f, 50f, 60f }, new long[] { 2, 5 });
        var act = () => model.Losses(new[] { image }, new[] { target });
        act.Should().Throw<ArgumentException>().WithMessage(
            "Target 0's labels must be class indices from 0 to 4 (the model has 5 classes), got 5; create the model with numClasses above the largest label. (Parameter 'targets')");
        target.Labels.Dispose();
        target.Boxes.Dispose();
    }

    private static double TotalLoss(Detector model, Tensor[] images, DetectionTarget[] targets, bool step)
    {
        model.zero_grad();
        var losses = model.Losses(images, targets);
        using var total = losses["classification"].add(losses["bbox_regression"], HeldScalars.One);
        if (step)
            total.backward();
        double value = total.item<float>();
        foreach (var loss in losses.Values)
            loss.Dispose();
        return value;
    }

    private static DetectionTarget Target(float[] boxes, long[] labels) =>
        new(tensor(boxes, new long[] { labels.Length, 4 }), tensor(labels, ScalarType.Int64));

    private static DetectionTarget[] Targets(JsonElement fixture, ScalarType dtype)
    {
        var boxes = fixture.GetProperty("boxes").EnumerateArray().ToArray();
        var labels = fixture.GetProperty("labels").EnumerateArray().ToArray();
        return boxes.Select((b, i) =>
        {
            var values = b.EnumerateArray().SelectMany(box => box.EnumerateArray().Select(e => e.GetDouble())).ToArray();
            var classes = labels[i].EnumerateArray().Select(e => e.GetInt64()).ToArray();
            return new DetectionTarget(tensor(values, new long[] { classes.Length, 4 }, dtype), tensor(classes, ScalarType.Int64));
        }).ToArray();
    }

    /// <summary>The model (a RetinaNet's name) in float64 with generate_retinanet.py's det-fill (its gains from the fixture).</summary>
    internal static Detector DetFilled(string name, JsonElement fixture)
    {
        var options = new DetectionOptions { MinSize = fixture.GetProperty("min_size").GetInt32(), MaxSize = fixture.GetProperty("max_size").GetInt32() };
        var model = DetectionModels.Create(name, options: options);
        model.to(ScalarType.Float64);
        double clsGain = fixture.GetProperty("cls_gain").GetDouble();
        double clsBias = fixture.GetProperty("cls_bias").GetDouble();
        DetectorFixtures.DetFill(model, fixture.GetProperty("norm_gain").GetDouble(),
            key => key == "head.classification_head.cls_logits.weight" ? clsGain : 1.0,
            (key, u) =>
                key.EndsWith("num_batches_tracked", StringComparison.Ordinal) ? zeros_like(u) :
                key == "head.classification_head.cls_logits.bias" ? DetectorFixtures.Affine(u, 0.2, clsBias) :
                u.dim() == 1 && key.StartsWith("head.", StringComparison.Ordinal) && key.Contains(".conv.", StringComparison.Ordinal) && key.EndsWith("weight", StringComparison.Ordinal)
                    ? DetectorFixtures.Affine(u, 0.2, 1.0) : null);
        return model;
    }
}
