using System;
using System.Diagnostics;
using System.Linq;
using FluentAssertions;
using Microsoft.ML.OnnxRuntime;
using ResNeStBlocks.Detection.Models;
using ResNeStBlocks.Onnx.Tests.Support;
using ResNeStBlocks.Tests.Detection;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ResNeStBlocks.Onnx.Tests;

/// <summary>
/// The one-stage detectors (RetinaNet v1 and v2, FCOS, and RetinaNet and FCOS on the ResNeSt-50d body) exported with
/// their transform and post-processing in the graph, run in ONNX Runtime on images of three sizes through one file,
/// against the library's <see cref="Detector.Detect"/>: a 300 x 420 image (resized up to 320 x 448), a 500 x 350 image
/// (resized down to 448 x 313, padded to 448 x 320) and a 40 x 420 image (resized to 42 x 448, padded to 64 x 448, so
/// the coarsest levels are one cell high).
/// </summary>
public class OneStageDetectorExportTests
{
    private readonly ITestOutputHelper output;

    public OneStageDetectorExportTests(ITestOutputHelper output) => this.output = output;

    /// <summary>The gain of the box regressions' weights, small for the reason <see cref="DetectorExportTests"/> gives.</summary>
    private const double RegressionGain = 0.1;

    /// <summary>
    /// RetinaNet det-filled with the resized fixtures' class gains (min size 320, max size 448), in float32: the same
    /// count and labels, boxes within 1e-4 pixels, scores within 1e-4. The score threshold and the detections kept are
    /// chosen (measured) so that no detection of the three images scores within 1e-4 of the threshold and the last kept
    /// detection is more than 1e-4 above the first dropped one: the two runtimes' roundings (up to 2e-5) cannot move a
    /// detection across either cut. v1: 24, 36 and 10 detections; v2 (whose third image scores below 0.008): 27 each, its
    /// regression gain a tenth of v1's (its GroupNorm-normalised head features make larger deltas, 4e-4 px apart at 0.1);
    /// on the ResNeSt-50d body: 82, 50 and 80 detections, every score at least 2.8e-3 from the threshold. on the ResNeSt-101e
    /// body: threshold 0.074, 38, 28 and 36 detections, every score at least 2.5e-4 from it.
    /// </summary>
    [Theory]
    [InlineData("retinanet_resnet50_fpn", 0.0615, 300, RegressionGain)]
    [InlineData("retinanet_resnet50_fpn_v2", 0.0052, 27, RegressionGain / 10)]
    [InlineData("retinanet_resnest50d_fpn", 0.1204, 300, RegressionGain)]
    [InlineData("retinanet_resnest101e_fpn", 0.074, 300, RegressionGain)]
    public void Retinanet_equals_detect_on_three_image_sizes_through_one_file(string name, double scoreThresh, int detectionsPerImg, double regressionGain)
    {
        using var model = FilledRetinanet(name, scoreThresh, detectionsPerImg, regressionGain);
        DetectorExportTests.EqualsDetect(model, output, DetectorExportTests.FixtureSizes, scoreBound: 1e-4);
    }

    /// <summary>
    /// FCOS det-filled with the resized fixture's gains, in float32: as RetinaNet, with 181, 126 and 13 detections (300
    /// kept), the threshold more than 2.7e-4 from every detection's score. Its scores (square roots of two sigmoids' product)
    /// differ by up to 7e-5 between the runtimes, so detections of one label within 1e-4 of each other may swap places. On
    /// the ResNeSt-50d body the first two images score up to 0.92 with over 1,200 detections above the threshold (3.6e-4
    /// from every score), so 60 are kept, the 60th more than 6e-4 above the 61st: 60, 60 and 11 detections. On the
    /// ResNeSt-101e body: threshold 0.137 (3.1e-4 from every score), 50 kept (1.6e-3 clear of the 51st): 50, 50 and 7.
    /// </summary>
    [Theory]
    [InlineData("fcos_resnet50_fpn", 0.1224, 300)]
    [InlineData("fcos_resnest50d_fpn", 0.1116, 60)]
    [InlineData("fcos_resnest101e_fpn", 0.137, 50)]
    public void Fcos_equals_detect_on_three_image_sizes_through_one_file(string name, double scoreThresh, int detectionsPerImg)
    {
        using var model = FilledFcos(name, scoreThresh, detectionsPerImg);
        DetectorExportTests.EqualsDetect(model, output, DetectorExportTests.FixtureSizes, scoreBound: 1e-4, tieTolerance: 1e-4);
    }

    /// <summary>
    /// RetinaNet (v1's or v2's) det-filled with the resized ResNet-50 fixture's gains, whatever its body, the box
    /// regression's weight at <paramref name="regressionGain"/>; num_batches_tracked (the BatchNorm bodies') stays 0.
    /// </summary>
    private static Detector FilledRetinanet(string name, double scoreThresh, int detectionsPerImg, double regressionGain)
    {
        var fixture = DetectorFixtures.Json("retinanet_resnet50_fpn" + (name.EndsWith("_v2", StringComparison.Ordinal) ? "_v2" : "") + ".resized.detections.json");
        double clsGain = fixture.GetProperty("cls_gain").GetDouble();
        double clsBias = fixture.GetProperty("cls_bias").GetDouble();
        return Filled(name, fixture, scoreThresh, detectionsPerImg,
            key => key == "head.classification_head.cls_logits.weight" ? clsGain : key == "head.regression_head.bbox_reg.weight" ? regressionGain : 1.0,
            (key, u) =>
                key.EndsWith("num_batches_tracked", StringComparison.Ordinal) ? zeros_like(u) :
                key == "head.classification_head.cls_logits.bias" ? DetectorFixtures.Affine(u, 0.2, clsBias) :
                u.dim() == 1 && key.StartsWith("head.", StringComparison.Ordinal) && key.Contains(".conv.", StringComparison.Ordinal) && key.EndsWith("weight", StringComparison.Ordinal)
                    ? DetectorFixtures.Affine(u, 0.2, 1.0) : null);
    }

    /// <summary>
    /// FCOS det-filled with the resized ResNet-50 fixture's gains, whatever its body, the box regression's weight at
    /// <see cref="RegressionGain"/>; num_batches_tracked (the ResNeSt bodies') stays 0.
    /// </summary>
    private static Detector FilledFcos(string name, double scoreThresh, int detectionsPerImg)
    {
        var fixture = DetectorFixtures.Json("fcos_resnet50_fpn.resized.detections.json");
        double clsGain = fixture.GetProperty("cls_gain").GetDouble();
        double ctrGain = fixture.GetProperty("ctr_gain").GetDouble();
        double clsBias = fixture.GetProperty("cls_bias").GetDouble();
        double headNormGain = fixture.GetProperty("head_norm_gain").GetDouble();
        return Filled(name, fixture, scoreThresh, detectionsPerImg,
            key => key switch
            {
                "head.classification_head.cls_logits.weight" => clsGain,
                "head.regression_head.bbox_reg.weight" => RegressionGain,
                "head.regression_head.bbox_ctrness.weight" => ctrGain,
                _ => 1.0,
            },
            (key, u) =>
                key.EndsWith("num_batches_tracked", StringComparison.Ordinal) ? zeros_like(u)
                : key == "head.classification_head.cls_logits.bias" ? DetectorFixtures.Affine(u, 0.2, clsBias)
                : key.StartsWith("head.", StringComparison.Ordinal) && key.Contains(".conv.", StringComparison.Ordinal) && u.dim() == 1
                    && key.EndsWith("weight", StringComparison.Ordinal) ? DetectorFixtures.Affine(u, 0.2, headNormGain) : null);
    }

    private static Detector Filled(string name, System.Text.Json.JsonElement fixture, double scoreThresh, int detectionsPerImg, Func<string, double> gain, Func<string, Tensor, Tensor?> special)
    {
        var options = new DetectionOptions
        {
            MinSize = fixture.GetProperty("min_size").GetInt32(),
            MaxSize = fixture.GetProperty("max_size").GetInt32(),
            ScoreThresh = scoreThresh,
            DetectionsPerImg = detectionsPerImg,
        };
        var model = DetectionModels.Create(name, options: options);
        model.eval();
        DetectorFixtures.DetFill(model, fixture.GetProperty("norm_gain").GetDouble(), gain, special);
        return model;
    }
}
