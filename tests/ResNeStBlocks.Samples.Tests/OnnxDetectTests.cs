using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using FluentAssertions;
using ResNeStBlocks.Detection.Models;
using ResNeStBlocks.Onnx;
using ResNeStBlocks.Samples.OnnxDetect;
using ResNeStBlocks.Samples.OnnxImages;
using ResNeStBlocks.Testing;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.Tests;

/// <summary>
/// samples/OnnxDetect end to end: a seeded Faster R-CNN of three classes exported with its class names, run by the
/// sample with ONNX Runtime only, against the library's <see cref="Detector.Detect"/>; a hand-made file with a
/// <c>masks</c> output and no class names; the drawing pixel by pixel; and its answers to bad command lines.
/// </summary>
[Collection(IsolatedCollection.Name)]
public sealed class OnnxDetectTests : IDisposable
{
    private static readonly string[] Names = { "__background__", "cat", "dog" };
    private const int Height = 120, Width = 160;

    private readonly string root = Path.Combine(Path.GetTempPath(), "onnx-detect-" + Guid.NewGuid().ToString("N"));
    private readonly ITestOutputHelper log;

    public OnnxDetectTests(ITestOutputHelper log)
    {
        this.log = log;
        Directory.CreateDirectory(root);
    }

    public void Dispose()
    {
        try { Directory.Delete(root, recursive: true); }
        catch (IOException) { }   // a file still held open by a failing test must not hide its failure
    }

    private static (int Exit, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter { NewLine = "\n" };
        using var error = new StringWriter { NewLine = "\n" };
        int exit = DetectApp.Execute(args, output, error);
        return (exit, output.ToString().ReplaceLineEndings("\n"), error.ToString().ReplaceLineEndings("\n"));
    }

    /// <summary>A grey gradient with a red and a blue rectangle: no pixel is white or has a palette colour before anything is drawn.</summary>
    private string Scene()
    {
        var rgb = new byte[Height * Width * 3];
        for (int y = 0; y < Height; y++)
            for (int x = 0; x < Width; x++)
            {
                byte grey = (byte)(40 + x / 2 + y / 3);
                var pixel = x is >= 20 and < 70 && y is >= 30 and < 90 ? new byte[] { 200, 60, 50 }
                    : x is >= 95 and < 145 && y is >= 15 and < 60 ? new byte[] { 40, 70, 190 } : new[] { grey, grey, grey };
                Array.Copy(pixel, 0, rgb, (y * Width + x) * 3, 3);
            }
        string path = Path.Combine(root, "scene.png");
        PngFile.WriteRgb(path, rgb, Height, Width);
        return path;
    }

    /// <summary>
    /// The threshold that keeps the best detections down to the first of the second class (at least five): half way
    /// between two neighbouring scores, at three decimals, at least 1e-4 from both, so that no rounding moves a score
    /// across it. The seeded model's scores run from about 0.05 to 0.6, so the threshold is near 0.1.
    /// </summary>
    private static (string Text, float Value, int Kept) ThresholdBelowBothClasses(float[] scores, long[] labels)
    {
        for (int kept = 5; kept < scores.Length; kept++)
        {
            if (labels.Take(kept).Distinct().Count() < 2)
                continue;
            double value = Math.Round((scores[kept - 1] + scores[kept]) / 2.0, 3);
            if (scores[kept - 1] - value > 1e-4 && value - scores[kept] > 1e-4)
                return (value.ToString("0.###", CultureInfo.InvariantCulture), (float)value, kept);
        }
        throw new InvalidOperationException("The seeded model's detections do not have both classes with room for a threshold.");
    }

    private static readonly Regex Printed = new(@"^  (.+)  (\d\.\d\d)  \((-?\d+\.\d\d), (-?\d+\.\d\d)\) - \((-?\d+\.\d\d), (-?\d+\.\d\d)\)$");

    [Fact]
    public void The_sample_prints_and_draws_what_the_library_detects_with_the_files_class_names()
    {
        var clock = Stopwatch.StartNew();
        random.manual_seed(7);
        var options = new DetectionOptions { MinSize = 128, MaxSize = 160, RpnPreNmsTopNTest = 200, RpnPostNmsTopNTest = 100 };
        using var model = DetectionModels.Create("fasterrcnn_resnet50_fpn", numClasses: 3, options: options);
        model.eval();
        using (no_grad())
        {
            // A tenth of torchvision's initial box regressions, as a trained detector's deltas are small: at full scale the
            // float32 rounding of the deltas, times boxes of a hundred pixels, alone reaches 1e-4 pixels between runtimes.
            using Scalar tenth = 0.1;
            var state = model.state_dict();
            state["rpn.head.bbox_pred.weight"].mul_(tenth);
            state["roi_heads.box_predictor.bbox_pred.weight"].mul_(tenth);
        }
        string onnx = Path.Combine(root, "detector.onnx");
        // The export's own check against the forward is DetectorExportTests' business; here it would only double the time.
        OnnxExporter.Export(model, onnx, new OnnxExportOptions { ClassNames = Names, VerifyAgainstForward = false });
        log.WriteLine($"built and exported in {clock.Elapsed.TotalSeconds:F1} s");
        string image = Scene();
        var decoded = ImageFiles.Decode(image);

        clock.Restart();
        float[] boxes, scores;
        long[] labels;
        using (no_grad())
        {
            using Scalar full = 255f;
            using var pixels = tensor(decoded.Data, new long[] { Height, Width, 3 });
            using var input = pixels.permute(2, 0, 1).to(ScalarType.Float32).div(full);
            using var expected = model.Detect(new[] { input })[0];
            boxes = expected.Boxes.data<float>().ToArray();
            scores = expected.Scores.data<float>().ToArray();
            labels = expected.Labels.data<long>().ToArray();
        }
        log.WriteLine($"Detect in {clock.Elapsed.TotalSeconds:F1} s: scores {string.Join(" ", scores.Take(20).Select(s => s.ToString("0.0000", CultureInfo.InvariantCulture)))} .., labels {string.Join(" ", labels.Take(20))} ..");
        var (threshold, thresholdValue, kept) = ThresholdBelowBothClasses(scores, labels);
        log.WriteLine($"threshold {threshold} keeps {kept}");

        clock.Restart();
        string drawn = Path.Combine(root, "drawn.png");
        var (exit, output, error) = Run("--model", onnx, "--image", image, "--output", drawn, "--score-threshold", threshold);
        log.WriteLine($"the sample in {clock.Elapsed.TotalSeconds:F1} s:\n{output}");
        exit.Should().Be(0, error);
        error.Should().BeEmpty();

        // The sample's detector itself, at full precision: Detect's detections, boxes within 1e-4 pixels (detections of one
        // label whose scores tie within 1e-5 may come in either order, as the two runtimes round the convolutions differently).
        IReadOnlyList<DetectedObject> found;
        using (var detector = new OnnxImageDetector(onnx))
        {
            detector.ClassNames.Should().Equal(Names);
            detector.HasMasks.Should().BeFalse();
            found = detector.Detect(decoded, thresholdValue);
        }
        found.Should().HaveCount(kept);
        double worstBox = 0, worstScore = 0;
        var used = new bool[found.Count];
        for (int i = 0; i < kept; i++)
        {
            var match = Enumerable.Range(0, found.Count)
                .Where(j => !used[j] && found[j].Label == labels[i] && (j == i || Math.Abs(found[j].Score - scores[i]) < 1e-5))
                .Select(j => (Index: j, Box: BoxDifference(found[j], boxes, i))).OrderBy(m => m.Box).FirstOrDefault((Index: -1, Box: double.PositiveInfinity));
            match.Index.Should().BeGreaterThanOrEqualTo(0, $"detection {i} (label {labels[i]}, score {scores[i]}) has a counterpart");
            used[match.Index] = true;
            worstBox = Math.Max(worstBox, match.Box);
            worstScore = Math.Max(worstScore, Math.Abs(found[match.Index].Score - scores[i]));
        }
        log.WriteLine($"{kept} detections: max |box difference| {worstBox:E2} pixels, max |score difference| {worstScore:E2}");
        worstBox.Should().BeLessThan(1e-4);
        worstScore.Should().BeLessThan(1e-5);

        // What it printed: a heading, one line per detection with the file's class names, the written file.
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[0].Should().Be($"scene.png (160x120): {kept} detection(s) with score >= {threshold}");
        lines[^1].Should().Be($"wrote {drawn}");
        lines.Length.Should().Be(kept + 2);
        for (int k = 0; k < kept; k++)
        {
            var m = Printed.Match(lines[k + 1]);
            m.Success.Should().BeTrue(lines[k + 1]);
            m.Groups[1].Value.Should().Be(Names[found[k].Label]);
            m.Groups[2].Value.Should().Be(found[k].Score.ToString("0.00", CultureInfo.InvariantCulture));
            var printedBox = Enumerable.Range(3, 4).Select(g => double.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture)).ToArray();
            var box = new double[] { found[k].X1, found[k].Y1, found[k].X2, found[k].Y2 };
            printedBox.Zip(box).Should().OnlyContain(p => Math.Abs(p.First - p.Second) <= 0.005 + 1e-6, "boxes print with two decimals");
        }

        // The picture: the scene's size, boxes and tags in the labels' colours, white text on them.
        var picture = ImageFiles.Decode(drawn);
        (picture.Width, picture.Height).Should().Be((Width, Height));
        var colours = picture.Data.Chunk(3).Select(p => (p[0], p[1], p[2])).ToArray();
        colours.Count(c => c == DetectionPicture.Colour(1)).Should().BeGreaterThan(100, "cats are drawn in their colour");
        colours.Count(c => c == DetectionPicture.Colour(2)).Should().BeGreaterThan(10, "dogs are drawn in theirs (under the better cats)");
        colours.Count(c => c == (255, 255, 255)).Should().BeGreaterThan(20, "the tags' text is white on these colours");
        int left = (int)Math.Floor(found[0].X1), top = (int)Math.Floor(found[0].Y1);
        colours[top * Width + left].Should().Be(DetectionPicture.Colour(found[0].Label), "the best detection is drawn last, on top");
    }

    private static double BoxDifference(DetectedObject found, float[] boxes, int i) =>
        new[] { found.X1 - boxes[4 * i], found.Y1 - boxes[4 * i + 1], found.X2 - boxes[4 * i + 2], found.Y2 - boxes[4 * i + 3] }.Max(d => Math.Abs((double)d));

    [Fact]
    public void Masks_fill_above_one_half_boxes_are_outlined_and_tags_carry_name_and_score()
    {
        const int height = 40, width = 50;
        var grey = Enumerable.Repeat((byte)100, height * width * 3).ToArray();
        var mask = new float[height * width];
        for (int y = 24; y <= 30; y++)
            for (int x = 12; x <= 20; x++)
                mask[y * width + x] = 0.9f;
        mask[27 * width + 22] = 0.5f;   // not above the threshold
        var detections = new[] { new DetectedObject(1, 0.9f, 10.2f, 20.5f, 30.7f, 35f, mask), new DetectedObject(2, 0.4f, 40f, 2f, 48f, 9f) };

        var drawn = DetectionPicture.Draw(grey, height, width, detections, label => Names[label]);

        (byte, byte, byte) At(int x, int y) => (drawn[3 * (y * width + x)], drawn[3 * (y * width + x) + 1], drawn[3 * (y * width + x) + 2]);
        var cat = DetectionPicture.Colour(1);
        cat.Should().Be(((byte)60, (byte)180, (byte)75));
        // Half way from grey 100 to (60, 180, 75), halves to even: 87.5 becomes 88.
        At(15, 27).Should().Be(((byte)80, (byte)140, (byte)88));
        At(22, 27).Should().Be(((byte)100, (byte)100, (byte)100));
        // The box covers columns 10 to 30 and rows 20 to 34, outlined two pixels deep.
        foreach (var (x, y) in new[] { (10, 25), (11, 25), (30, 25), (29, 25), (20, 34), (20, 33) })
            At(x, y).Should().Be(cat, $"({x}, {y}) is on the outline");
        foreach (var (x, y) in new[] { (9, 25), (28, 25), (31, 25), (24, 32) })
            At(x, y).Should().Be(((byte)100, (byte)100, (byte)100), $"({x}, {y}) is off the outline and the mask");
        // The tag "cat 0.90" sits above the box (rows 11 to 19) from its left edge; its 'C' starts one pixel in, in white.
        At(10, 14).Should().Be(cat);
        At(11, 12).Should().Be(cat);
        At(12, 12).Should().Be(((byte)255, (byte)255, (byte)255));
        // A box at the top has its tag inside; a detection without a mask fills nothing.
        At(40, 2).Should().Be(DetectionPicture.Colour(2));
        DetectionPicture.Tag("cat", 0.905f).Should().Be("cat 0.91");
        grey.Should().OnlyContain(b => b == 100, "the input image is not changed");
    }

    [Fact]
    public void A_mask_output_is_found_by_name_and_filled_and_a_file_without_names_prints_numbers()
    {
        const int height = 24, width = 32;
        string image = Path.Combine(root, "grey.png");
        PngFile.WriteRgb(image, Enumerable.Repeat((byte)100, height * width * 3).ToArray(), height, width);
        // Label 17 (0.9) with a mask over rows 13 to 16 and columns 8 to 15 (0.75; 0.5 at one pixel, not above the
        // threshold), its tag above the box (rows 1 to 9); label 4 (0.3) below the default threshold 0.5.
        var masks = new float[2 * height * width];
        for (int y = 13; y <= 16; y++)
            for (int x = 8; x <= 15; x++)
                masks[y * width + x] = 0.75f;
        masks[18 * width + 10] = 0.5f;
        string onnx = Path.Combine(root, "masks.onnx");
        HandMadeDetectorFile.Write(onnx, height, width, new[] { 4f, 10f, 20f, 23f, 1f, 1f, 30f, 22f }, new[] { 0.9f, 0.3f }, new long[] { 17, 4 }, masks);
        string drawn = Path.Combine(root, "masks.png");

        var (exit, output, error) = Run("--model", onnx, "--image", image, "--output", drawn);

        exit.Should().Be(0, error);
        output.Should().Be(
            "grey.png (32x24): 1 detection(s) with score >= 0.5 (the model has no class names: export it with OnnxExportOptions.ClassNames)\n" +
            $"  class 17  0.90  (4.00, 10.00) - (20.00, 23.00)\nwrote {drawn}\n");
        var picture = ImageFiles.Decode(drawn).Data;
        (byte, byte, byte) At(int x, int y) => (picture[3 * (y * width + x)], picture[3 * (y * width + x) + 1], picture[3 * (y * width + x) + 2]);
        var colour = DetectionPicture.Colour(17);
        byte Mix(byte c) => (byte)Math.Round(100 + 0.5 * (c - 100), MidpointRounding.ToEven);
        At(10, 14).Should().Be((Mix(colour.Red), Mix(colour.Green), Mix(colour.Blue)), "the mask is filled half way to label 17's colour");
        At(10, 18).Should().Be(((byte)100, (byte)100, (byte)100), "0.5 is not above the threshold");
        At(4, 15).Should().Be(colour, "the box's left edge");
        At(4, 5).Should().Be(colour, "the tag above the box");
        At(1, 20).Should().Be(((byte)100, (byte)100, (byte)100), "the detection below the threshold is not drawn");
        using var detector = new OnnxImageDetector(onnx);
        detector.HasMasks.Should().BeTrue();
        detector.ClassNames.Should().BeNull();
    }

    [Fact]
    public void Labels_without_a_name_are_printed_by_number()
    {
        OnnxImageDetector.Name(null, 17).Should().Be("class 17");
        OnnxImageDetector.Name(Names, 2).Should().Be("dog");
        OnnxImageDetector.Name(Names, 3).Should().Be("class 3");
        OnnxImageDetector.Name(new[] { "__background__", "" }, 1).Should().Be("class 1");
    }

    [Fact]
    public void Bad_command_lines_and_files_get_one_line_that_says_what_to_do()
    {
        Run().Should().Be((2, "", "error: --model MODEL.onnx is required: the detector exported with ResNeStBlocks.Onnx.\nRun with --help for usage.\n"));
        Run("--model", "m.onnx").Should().Be((2, "", "error: --image IMAGE is required: the picture to detect objects in.\nRun with --help for usage.\n"));
        Run("--model", "m.onnx", "--image", "a.png", "--score-threshold", "1.5").Error
            .Should().Be("error: --score-threshold must be from 0 to 1, got '1.5'.\nRun with --help for usage.\n");
        Run("--model", "m.onnx", "--image", "a.png", "--score-threshold", "high").Error
            .Should().Be("error: --score-threshold must be a number, got 'high'.\nRun with --help for usage.\n");
        Run("--model", "m.onnx", "--threshold", "0.2").Error
            .Should().Be("error: Unknown option '--threshold'; OnnxDetect takes --model, --image, --output and --score-threshold.\nRun with --help for usage.\n");
        Run("--model", "m.onnx", "--image").Error.Should().Be("error: Option --image needs a value.\nRun with --help for usage.\n");
        string missing = Path.Combine(root, "missing.onnx");
        Run("--model", missing, "--image", "a.png").Should().Be((2, "", $"error: Model file not found: {missing}\n"));
        Run("--help").Should().Be((0, DetectApp.Usage.ReplaceLineEndings("\n") + "\n", ""));

        // A classifier's file is not a detector; a detector with an image that is not there names the image.
        string classifier = Path.Combine(root, "conv.onnx");
        using (var conv = nn.Conv2d(3, 4, 1))
            OnnxExporter.Export(conv, classifier, new OnnxExportOptions { InputHeight = 8, InputWidth = 8 });
        Run("--model", classifier, "--image", "a.png").Error.Should().Be(
            $"error: {classifier} is not a detector export: it needs input 'input' and outputs boxes, scores and labels " +
            "(it has inputs input and outputs features); export a detector with ResNeStBlocks.Onnx's OnnxExporter.\n");
    }
}
