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
/// The two-stage detectors beyond fasterrcnn_resnet50_fpn (Faster R-CNN v2, Mask R-CNN and v2, the ResNeSt bodies)
/// exported with their transform and post-processing in the graph, and Mask R-CNN's masks pasted in it, run in ONNX
/// Runtime on three image sizes through one file against the library's <see cref="Detector.Detect"/>.
/// </summary>
public class TwoStageExportTests
{
    private readonly ITestOutputHelper output;

    public TwoStageExportTests(ITestOutputHelper output) => this.output = output;

    /// <summary>
    /// Det-filled as the Mask R-CNN fixtures (min size 160, max size 224; generate_mask.py's gains), in float32: a
    /// 150 x 210 image (resized up to 160 x 224), a 250 x 175 image (resized down to 224 x 156, padded to 224 x 160) and a
    /// 20 x 210 image (resized to 21 x 224, padded to 32 x 224, so the pooled levels' scales are inferred as 1/2 to 1/16)
    /// give Detect's detections: the same count and labels, boxes within 1e-4 pixels, scores within 1e-5 and, for Mask
    /// R-CNN, pasted masks within 1e-4.
    /// </summary>
    [Theory]
    [InlineData("maskrcnn_resnet50_fpn", 16)]
    [InlineData("fasterrcnn_resnet50_fpn_v2", 16)]
    // With 16, two of its detections whose scores differ by under 1e-6 straddle the cut and the runtimes keep different ones.
    [InlineData("maskrcnn_resnet50_fpn_v2", 100)]
    [InlineData("maskrcnn_resnest50d_fpn", 16)]
    public void Export_equals_detect_on_three_image_sizes_through_one_file(string name, int detections)
    {
        var clock = Stopwatch.StartNew();
        using var model = Filled(name, detections);
        bool masks = model is MaskRcnn;
        output.WriteLine($"{name}: model built and filled {clock.Elapsed.TotalSeconds:F1} s");
        clock.Restart();
        var bytes = OrtRunner.Export(model);
        output.WriteLine($"export (with its verification) {clock.Elapsed.TotalSeconds:F1} s, {bytes.Length / 1e6:F1} MB");
        clock.Restart();
        using var session = new InferenceSession(bytes, new SessionOptions { IntraOpNumThreads = 2 });
        session.OutputMetadata.Keys.Should().Equal(masks ? new[] { "boxes", "scores", "labels", "masks" } : new[] { "boxes", "scores", "labels" });
        output.WriteLine($"session {clock.Elapsed.TotalSeconds:F1} s");
        foreach (var (height, width, index) in new[] { (150L, 210L, 0), (250L, 175L, 1), (20L, 210L, 2) })
        {
            using var scope = NewDisposeScope();
            var image = DetectorFixtures.Image(index, height, width).to(ScalarType.Float32);
            clock.Restart();
            var expected = model.Detect(new[] { image })[0];
            output.WriteLine($"{height} x {width}: Detect {clock.Elapsed.TotalMilliseconds:F0} ms");
            clock.Restart();
            var found = DetectorExportTests.Run(session, image, masks);
            output.WriteLine($"{height} x {width}: ONNX Runtime {clock.Elapsed.TotalMilliseconds:F0} ms");
            var expectedLabels = expected.Labels.data<long>().ToArray();
            found.Labels.Should().HaveCount(expectedLabels.Length, $"the {height} x {width} image's detections");
            expectedLabels.Should().NotBeEmpty();
            var (boxDifference, scoreDifference, maskDifference, reordered) = DetectorExportTests.Compare(expected, found.Boxes, found.Scores, found.Labels, masks: found.Masks);
            output.WriteLine($"{height} x {width}: {expectedLabels.Length} detections, max |box difference| {boxDifference:E2}, " +
                $"max |score difference| {scoreDifference:E2}, max |mask difference| {maskDifference:E2}, {reordered} tied detections in another order");
            boxDifference.Should().BeLessThan(1e-4);
            scoreDifference.Should().BeLessThan(1e-5);
            maskDifference.Should().BeLessThan(1e-4);
            if (masks)
                found.Masks!.shape.Should().Equal(new[] { expectedLabels.Length, 1, height, width });
        }
    }

    /// <summary>
    /// The model with small sizes and proposal and detection counts, det-filled with generate_mask.py's gains (the fixture's values), the
    /// box regressions scaled down as <see cref="DetectorExportTests"/> explains (float32 rounding of full-scale deltas).
    /// </summary>
    private static Detector Filled(string name, int detections)
    {
        var fixture = DetectorFixtures.Json("maskrcnn_resnet50_fpn.resized.detections.json");
        var options = new DetectionOptions
        {
            MinSize = fixture.GetProperty("min_size").GetInt32(),
            MaxSize = fixture.GetProperty("max_size").GetInt32(),
            RpnPostNmsTopNTest = fixture.GetProperty("rpn_post_nms_top_n_test").GetInt32(),
            BoxDetectionsPerImg = detections,
        };
        var model = DetectionModels.Create(name, options: options);
        model.eval();
        MaskFixtures.Fill(model, fixture, RegressionGain);
        return model;
    }

    /// <summary>The gain of the box regressions' weights (see <see cref="DetectorExportTests"/>).</summary>
    private const double RegressionGain = 0.1;
}
