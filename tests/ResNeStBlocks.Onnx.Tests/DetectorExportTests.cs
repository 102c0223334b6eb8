using System;
using System.Collections.Generic;
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
/// Detectors exported with their transform and post-processing in the graph, run in ONNX Runtime on images of different
/// sizes through one file, against the library's <see cref="Detector.Detect"/>.
/// </summary>
public class DetectorExportTests
{
    private readonly ITestOutputHelper output;

    public DetectorExportTests(ITestOutputHelper output) => this.output = output;

    /// <summary>
    /// Faster R-CNN det-filled as the resized fixture (min size 320, max size 448), in float32: a 300 x 420 image (resized
    /// up to 320 x 448), a 500 x 350 image (resized down to 448 x 313, padded to 448 x 320) and a 40 x 420 image (resized to
    /// 42 x 448, padded to 64 x 448, so torchvision infers the pooled levels' scales as 1/2 to 1/16, not 1/4 to 1/32)
    /// through one file give Detect's detections: the same count and labels, boxes within 1e-4 pixels.
    /// </summary>
    [Fact]
    public void Faster_rcnn_equals_detect_on_three_image_sizes_through_one_file()
    {
        var fixture = DetectorFixtures.Json("fasterrcnn_resnet50_fpn.resized.detections.json");
        var clock = Stopwatch.StartNew();
        using var model = FilledFasterRcnn(fixture);
        output.WriteLine($"model built and filled {clock.Elapsed.TotalSeconds:F1} s");
        var stages = () => OrtRunner.Export(model, new OnnxExportOptions { StageOutputs = true });
        stages.Should().Throw<ArgumentException>().WithMessage(
            "A detector exports with fixed outputs (boxes, scores, labels) from one RGB image; StageOutputs, OutputNames and " +
            "InputChannels do not apply. Leave them unset.*");
        EqualsDetect(model, output, FixtureSizes, scoreBound: 1e-5);
    }

    /// <summary>
    /// The gain of the box regressions' weights: a trained detector's deltas are small (torchvision initialises the
    /// proposal regression with standard deviation 0.01), and at det-fill's full scale the float32 rounding of the deltas,
    /// multiplied by box sizes of hundreds of pixels, alone exceeds 1e-4 pixels in any two float32 implementations.
    /// </summary>
    private const double RegressionGain = 0.1;

    [Fact]
    public void A_detector_family_without_a_graph_is_refused_naming_the_supported_ones()
    {
        Export.Detection.DetectorExport.Unsupported("MyDetector").Message.Should().Be(
            "ONNX export does not support MyDetector; the detectors it exports are fasterrcnn_resnet50_fpn (FasterRcnn), " +
            "fasterrcnn_resnet50_fpn_v2 (FasterRcnn), fasterrcnn_resnest50d_fpn (FasterRcnn), fasterrcnn_resnest101e_fpn (FasterRcnn), " +
            "maskrcnn_resnet50_fpn (MaskRcnn), maskrcnn_resnet50_fpn_v2 (MaskRcnn), maskrcnn_resnest50d_fpn (MaskRcnn), " +
            "maskrcnn_resnest101e_fpn (MaskRcnn), retinanet_resnet50_fpn (RetinaNet), retinanet_resnet50_fpn_v2 (RetinaNet), " +
            "retinanet_resnest50d_fpn (RetinaNet), retinanet_resnest101e_fpn (RetinaNet), fcos_resnet50_fpn (Fcos), " +
            "fcos_resnest50d_fpn (Fcos), fcos_resnest101e_fpn (Fcos), and these families on another DetectionBackbone or ResNetFpnBackbone.");
    }

    [Fact]
    public void Class_names_must_name_every_label_of_a_detector_and_only_a_detector_takes_them()
    {
        using var detector = DetectionModels.Create("fasterrcnn_resnet50_fpn", numClasses: 3, options: new DetectionOptions { MinSize = 64, MaxSize = 96 });
        var tooFew = () => OrtRunner.Export(detector, new OnnxExportOptions { ClassNames = new[] { "__background__", "cat" } });
        tooFew.Should().Throw<ArgumentException>().WithMessage(
            "OnnxExportOptions.ClassNames has 2 names, but the FasterRcnn predicts 3 classes (labels 0 to 2, 0 the background); " +
            "give one name per label, background first (TorchvisionWeights.CocoCategories for torchvision's COCO weights).*");
        var withNull = () => OrtRunner.Export(detector, new OnnxExportOptions { ClassNames = new[] { "__background__", "cat", null! } });
        withNull.Should().Throw<ArgumentException>().WithMessage("OnnxExportOptions.ClassNames must not contain null; use \"\" for an unnamed label.*");
        using var layer = nn.Linear(4, 2);
        var classifier = () => OrtRunner.Export(layer, new OnnxExportOptions { ClassNames = new[] { "a", "b" } });
        classifier.Should().Throw<ArgumentException>().WithMessage(
            "OnnxExportOptions.ClassNames names a detector's labels; a Linear exports no labels. Leave it unset.*");
    }

    private static Detector FilledFasterRcnn(System.Text.Json.JsonElement fixture)
    {
        var options = new DetectionOptions { MinSize = fixture.GetProperty("min_size").GetInt32(), MaxSize = fixture.GetProperty("max_size").GetInt32() };
        var model = DetectionModels.Create("fasterrcnn_resnet50_fpn", options: options);
        model.eval();
        double rpnGain = fixture.GetProperty("rpn_gain").GetDouble();
        double clsGain = fixture.GetProperty("cls_gain").GetDouble();
        double clsBias = fixture.GetProperty("cls_bias").GetDouble();
        DetectorFixtures.DetFill(model, fixture.GetProperty("norm_gain").GetDouble(),
            key => key.EndsWith("bbox_pred.weight", StringComparison.Ordinal) ? RegressionGain
                : key.StartsWith("rpn.head.", StringComparison.Ordinal) ? rpnGain : key == "roi_heads.box_predictor.cls_score.weight" ? clsGain : 1.0,
            (key, u) => key == "roi_heads.box_predictor.cls_score.bias" ? DetectorFixtures.Affine(u, clsBias, 0) : null);
        return model;
    }

    /// <summary>The resized fixtures' image sizes: resized up, resized down and padded, and so flat that the coarsest levels are one cell high.</summary>
    internal static readonly (long Height, long Width)[] FixtureSizes = { (300, 420), (500, 350), (40, 420) };

    /// <summary>
    /// Exports <paramref name="model"/> once and runs an image of each size (the procedural fixture images, in order)
    /// through the file and through <see cref="Detector.Detect"/>: the file's outputs are the detector's, and on every
    /// image the same count and labels (never none), boxes within 1e-4 pixels, scores within
    /// <paramref name="scoreBound"/>, and Mask R-CNN's masks within 1e-4 at the image's size.
    /// </summary>
    /// <param name="model">The filled detector, in eval mode.</param>
    /// <param name="output">Where the timings and differences are written.</param>
    /// <param name="sizes">The images' heights and widths.</param>
    /// <param name="scoreBound">The largest score difference allowed.</param>
    /// <param name="tieTolerance">The score difference within which detections of one label may come in either order.</param>
    internal static void EqualsDetect(Detector model, ITestOutputHelper output, IReadOnlyList<(long Height, long Width)> sizes, double scoreBound,
        double tieTolerance = 1e-5)
    {
        bool masks = model is MaskRcnn;
        var clock = Stopwatch.StartNew();
        var bytes = OrtRunner.Export(model);
        output.WriteLine($"export (with its verification) {clock.Elapsed.TotalSeconds:F1} s, {bytes.Length / 1e6:F1} MB");
        clock.Restart();
        using var session = new InferenceSession(bytes, new SessionOptions { IntraOpNumThreads = 2 });
        session.OutputMetadata.Keys.Should().Equal(masks ? new[] { "boxes", "scores", "labels", "masks" } : new[] { "boxes", "scores", "labels" });
        output.WriteLine($"session {clock.Elapsed.TotalSeconds:F1} s");
        for (int index = 0; index < sizes.Count; index++)
        {
            var (height, width) = sizes[index];
            using var scope = NewDisposeScope();
            var image = DetectorFixtures.Image(index, height, width).to(ScalarType.Float32);
            clock.Restart();
            var expected = model.Detect(new[] { image })[0];
            output.WriteLine($"{height} x {width}: Detect {clock.Elapsed.TotalMilliseconds:F0} ms");
            clock.Restart();
            var found = Run(session, image, masks);
            output.WriteLine($"{height} x {width}: ONNX Runtime {clock.Elapsed.TotalMilliseconds:F0} ms");
            var expectedLabels = expected.Labels.data<long>().ToArray();
            found.Labels.Should().HaveCount(expectedLabels.Length, $"the {height} x {width} image's detections");
            expectedLabels.Should().NotBeEmpty();
            var (boxDifference, scoreDifference, maskDifference, reordered) =
                Compare(expected, found.Boxes, found.Scores, found.Labels, tieTolerance, found.Masks);
            output.WriteLine($"{height} x {width}: {expectedLabels.Length} detections, {expectedLabels.Distinct().Count()} labels, " +
                $"scores {expected.Scores.min().item<float>():F4}..{expected.Scores.max().item<float>():F4}, max |box difference| {boxDifference:E2}, " +
                $"max |score difference| {scoreDifference:E2}, max |mask difference| {maskDifference:E2}, {reordered} tied detections in another order");
            boxDifference.Should().BeLessThan(1e-4);
            scoreDifference.Should().BeLessThan(scoreBound);
            maskDifference.Should().BeLessThan(1e-4);
            if (masks)
                found.Masks!.shape.Should().Equal(new[] { expectedLabels.Length, 1, height, width });
        }
    }

    /// <summary>
    /// The largest box and score differences between Detect's detections and the file's, position by position, except that
    /// detections of one label whose scores are within <see cref="TieTolerance"/> of each other may come in either order: the
    /// two runtimes' convolutions round differently, and NMS and the final sort order such ties by whichever is larger.
    /// </summary>
    private const double TieTolerance = 1e-5;

    /// <remarks>With <paramref name="masks"/> (Mask R-CNN), also the largest difference of the paired detections' pasted masks.</remarks>
    internal static (double Boxes, double Scores, double Masks, int Reordered) Compare(Detections expected, Tensor boxes, Tensor scores, long[] labels,
        double tieTolerance = TieTolerance, Tensor? masks = null)
    {
        var expectedBoxes = expected.Boxes.to(ScalarType.Float64).data<double>().ToArray();
        var expectedScores = expected.Scores.to(ScalarType.Float64).data<double>().ToArray();
        var expectedLabels = expected.Labels.data<long>().ToArray();
        var foundBoxes = boxes.to(ScalarType.Float64).data<double>().ToArray();
        var foundScores = scores.to(ScalarType.Float64).data<double>().ToArray();
        var used = new bool[labels.Length];
        double worstBox = 0, worstScore = 0, worstMask = 0;
        int reordered = 0;
        for (int i = 0; i < expectedLabels.Length; i++)
        {
            int best = -1;
            double bestBox = double.PositiveInfinity;
            for (int j = 0; j < labels.Length; j++)
            {
                if (used[j] || labels[j] != expectedLabels[i] || (j != i && Math.Abs(foundScores[j] - expectedScores[i]) > tieTolerance))
                    continue;
                double box = Enumerable.Range(0, 4).Max(c => Math.Abs(foundBoxes[4 * j + c] - expectedBoxes[4 * i + c]));
                if (box < bestBox)
                    (best, bestBox) = (j, box);
            }
            best.Should().BeGreaterThanOrEqualTo(0, $"detection {i} (label {expectedLabels[i]}, score {expectedScores[i]}) has a counterpart");
            used[best] = true;
            if (best != i)
                reordered++;
            worstBox = Math.Max(worstBox, bestBox);
            worstScore = Math.Max(worstScore, Math.Abs(foundScores[best] - expectedScores[i]));
            if (masks is not null)
            {
                using var difference = masks[best].sub(expected.Masks![i]).abs().max();
                worstMask = Math.Max(worstMask, difference.item<float>());
            }
        }
        return (worstBox, worstScore, worstMask, reordered);
    }

    /// <summary>Runs the exported detector on one [3, H, W] image: boxes [N, 4], scores [N], labels [N] and, with masks, masks [N, 1, H, W].</summary>
    internal static (Tensor Boxes, Tensor Scores, long[] Labels, Tensor? Masks) Run(InferenceSession session, Tensor image, bool masks = false)
    {
        var data = image.contiguous().data<float>().ToArray();
        using var value = OrtValue.CreateTensorValueFromMemory(data, new long[] { 1, 3, image.size(1), image.size(2) });
        using var runOptions = new RunOptions();
        var names = masks ? new[] { "boxes", "scores", "labels", "masks" } : new[] { "boxes", "scores", "labels" };
        using var results = session.Run(runOptions, new[] { OnnxExporter.InputName }, new[] { value }, names);
        var boxes = results[0].GetTensorDataAsSpan<float>().ToArray();
        var scores = results[1].GetTensorDataAsSpan<float>().ToArray();
        var labels = results[2].GetTensorDataAsSpan<long>().ToArray();
        Tensor? pasted = masks ? tensor(results[3].GetTensorDataAsSpan<float>().ToArray(), results[3].GetTensorTypeAndShape().Shape) : null;
        return (tensor(boxes, new long[] { labels.Length, 4 }), tensor(scores), labels, pasted);
    }
}
