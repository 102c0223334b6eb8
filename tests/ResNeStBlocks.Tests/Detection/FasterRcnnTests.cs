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
/// fasterrcnn_resnet50_fpn against torchvision 0.14 (tests/fixtures/detection-models): its state-dict keys, shapes,
/// trainable parameters and count, and its eval-mode detections in float64 with the generator's det-fill.
/// </summary>
public class FasterRcnnTests
{
    private readonly Xunit.Abstractions.ITestOutputHelper output;

    public FasterRcnnTests(Xunit.Abstractions.ITestOutputHelper output) => this.output = output;

    private static JsonElement Json(string file) => DetectorFixtures.Json(file);

    [Fact]
    public void Keys_shapes_trainable_parameters_and_count_are_torchvisions()
    {
        using var model = DetectionModels.Create("fasterrcnn_resnet50_fpn");
        DetectorFixtures.ShouldMatchManifest(model, "fasterrcnn_resnet50_fpn.manifest.json", 41_755_286);
    }

    [Theory]
    [InlineData("fasterrcnn_resnet50_fpn.detections.json")]
    [InlineData("fasterrcnn_resnet50_fpn.resized.detections.json")]
    public void Det_filled_float64_detections_equal_torchvisions(string file)
    {
        // The first file's images keep their size; the second's are resized (300 x 420 up, 500 x 350 down) and their
        // boxes mapped back to the original pixels.
        var fixture = Json(file);
        var options = new DetectionOptions { MinSize = fixture.GetProperty("min_size").GetInt32(), MaxSize = fixture.GetProperty("max_size").GetInt32() };
        using var model = DetectionModels.Create("fasterrcnn_resnet50_fpn", options: options);
        model.to(ScalarType.Float64);
        model.eval();
        DetFill(model, fixture);
        var images = DetectorFixtures.Images(fixture);
        var found = model.Detect(images);
        var (scores, boxes) = DetectorFixtures.ShouldEqual(found, fixture, 1e-6);
        output.WriteLine($"max |score difference| {scores:E2}, max |box difference| {boxes:E2}");
        foreach (var d in found)
            d.Dispose();
        foreach (var image in images)
            image.Dispose();
    }

    [Fact]
    public void An_image_of_another_dtype_than_the_model_is_refused_before_any_computation()
    {
        using var model = DetectionModels.Create("fasterrcnn_resnet50_fpn", options: new DetectionOptions { MinSize = 32, MaxSize = 32 });
        using var image = zeros(new long[] { 3, 32, 32 }, ScalarType.Float64);
        var act = () => model.Detect(new[] { image });
        act.Should().Throw<ArgumentException>().WithMessage("Image 0 is Float64 on cpu, the model Float32 on cpu; convert it with image.to(...) first.*");
        using var gray = zeros(1, 32, 32);
        act = () => model.Detect(new[] { gray });
        act.Should().Throw<ArgumentException>().WithMessage("Image 0 must have shape [3, H, W], got [1, 32, 32].*");
    }

    [Fact]
    public void An_unknown_name_is_refused_with_the_known_names()
    {
        var act = () => DetectionModels.Create("fasterrcnn_resnet18_fpn");
        act.Should().Throw<ArgumentException>().WithMessage("Unknown detection model 'fasterrcnn_resnet18_fpn'; known: fasterrcnn_resnet50_fpn, fasterrcnn_resnet50_fpn_v2, maskrcnn_resnet50_fpn, maskrcnn_resnet50_fpn_v2.*");
    }

    private static void DetFill(Detector model, JsonElement fixture)
    {
        double rpnGain = fixture.GetProperty("rpn_gain").GetDouble();
        double clsGain = fixture.GetProperty("cls_gain").GetDouble();
        double clsBias = fixture.GetProperty("cls_bias").GetDouble();
        DetectorFixtures.DetFill(model, fixture.GetProperty("norm_gain").GetDouble(),
            key => key.StartsWith("rpn.head.", StringComparison.Ordinal) ? rpnGain : key == "roi_heads.box_predictor.cls_score.weight" ? clsGain : 1.0,
            (key, u) => key == "roi_heads.box_predictor.cls_score.bias" ? DetectorFixtures.Affine(u, clsBias, 0) : null);
    }
}
