using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using ResNeStBlocks.Evaluation;
using ResNeStBlocks.Testing;
using Xunit;
using Xunit.Abstractions;

namespace ResNeStBlocks.Tests.Evaluation;

/// <summary>
/// The COCO evaluator against pycocotools' COCOeval (tests/fixtures/cocoeval: the cases from generate.py, the numbers in
/// expected.json from pycocotools' evaluate, accumulate and summarize): the 12 summary numbers and every category's AP
/// within 1e-6 for boxes and masks, the masks pycocotools decodes and rasterises, and the readers' messages.
/// </summary>
public sealed class CocoEvaluatorTests
{
    private const double Tolerance = 1e-6;
    private readonly ITestOutputHelper _output;

    public CocoEvaluatorTests(ITestOutputHelper output)
    {
        _output = output;
    }

    private static readonly Lazy<JsonElement> Expected = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.File("cocoeval", "expected.json")));
        return doc.RootElement.Clone();
    });

    private static CocoDataset GroundTruth(string name) => CocoDataset.Load(Fixtures.File("cocoeval", name + ".gt.json"));

    private static IReadOnlyList<CocoDetection> Results(string name, string kind) => CocoResults.Load(Fixtures.File("cocoeval", $"{name}.{kind}.json"));

    [Theory]
    [InlineData("basic")]
    [InlineData("crowds")]
    [InlineData("empty_images")]
    [InlineData("many_classes")]
    [InlineData("score_ties")]
    [InlineData("area_ranges")]
    [InlineData("max_dets")]
    [InlineData("masks")]
    [InlineData("masks_large")]
    public void Box_AP_equals_pycocotools_on(string name) =>
        ShouldEqualPycocotools(name, "bbox", CocoEvaluator.Evaluate(GroundTruth(name), Results(name, "bbox"), CocoIouType.Box));

    [Theory]
    [InlineData("masks")]
    [InlineData("masks_large")]
    public void Mask_AP_equals_pycocotools_on(string name) =>
        ShouldEqualPycocotools(name, "segm", CocoEvaluator.Evaluate(GroundTruth(name), Results(name, "segm"), CocoIouType.Mask));

    private void ShouldEqualPycocotools(string name, string kind, CocoEvaluation evaluation)
    {
        var expected = Expected.Value.GetProperty("cases").GetProperty(name).GetProperty(kind);
        var stats = expected.GetProperty("stats").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        double worst = 0;
        for (int i = 0; i < 12; i++)
        {
            evaluation.Summary.Stats[i].Should().BeApproximately(stats[i], Tolerance, $"{CocoSummary.Names[i]} of {name} ({kind})");
            worst = Math.Max(worst, Math.Abs(evaluation.Summary.Stats[i] - stats[i]));
        }
        var perCategory = expected.GetProperty("per_category_ap");
        evaluation.CategoryAveragePrecision.Keys.Select(k => k.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Should().Equal(perCategory.EnumerateObject().Select(p => p.Name));
        foreach (var p in perCategory.EnumerateObject())
        {
            double actual = evaluation.CategoryAveragePrecision[long.Parse(p.Name, System.Globalization.CultureInfo.InvariantCulture)];
            actual.Should().BeApproximately(p.Value.GetDouble(), Tolerance, $"the AP of category {p.Name}");
            worst = Math.Max(worst, Math.Abs(actual - p.Value.GetDouble()));
        }
        var lines = evaluation.Summary.ToString().Split(Environment.NewLine);
        lines.Should().HaveCount(12);
        lines[0].Should().Be(FormattableString.Invariant($" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = {stats[0]:0.000}"));
        lines[10].Should().Be(FormattableString.Invariant($" Average Recall     (AR) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = {stats[10]:0.000}"));
        _output.WriteLine($"{name} {kind}: max difference {worst:E2}");
    }

    [Theory]
    [InlineData("masks")]
    [InlineData("masks_large")]
    public void Ground_truth_masks_equal_pycocotools_annToRLE(string name)
    {
        var dataset = GroundTruth(name);
        var expected = Expected.Value.GetProperty("masks").GetProperty(name).GetProperty("annotations").EnumerateArray().ToArray();
        expected.Should().HaveCount(dataset.Annotations.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            var annotation = dataset.Annotations[i];
            var image = dataset.FindImage(annotation.ImageId)!;
            var mask = annotation.Segmentation!.ToMask(image.Height, image.Width);
            string because = $"annotation {annotation.Id} of {name}";
            mask.Counts.Should().Equal(expected[i].GetProperty("counts").EnumerateArray().Select(e => e.GetUInt32()), because);
            mask.ToCompressedString().Should().Be(expected[i].GetProperty("compressed").GetString(), because);
            mask.Area.Should().Be(expected[i].GetProperty("area").GetInt64(), because);
            var box = expected[i].GetProperty("bbox").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            mask.ToBox().Should().Be(new CocoBox(box[0], box[1], box[2], box[3]), because);
            RunLengthMask.Encode(mask.Decode()).Counts.Should().Equal(mask.Counts, because);
        }
    }

    [Theory]
    [InlineData("masks")]
    [InlineData("masks_large")]
    public void Result_masks_decode_as_pycocotools_frString(string name)
    {
        var results = Results(name, "segm");
        var expected = Expected.Value.GetProperty("masks").GetProperty(name).GetProperty("detections").EnumerateArray().ToArray();
        using var raw = JsonDocument.Parse(File.ReadAllText(Fixtures.File("cocoeval", name + ".segm.json")));
        var strings = raw.RootElement.EnumerateArray().Select(e => e.GetProperty("segmentation").GetProperty("counts").GetString()).ToArray();
        expected.Should().HaveCount(results.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            var mask = results[i].Mask!;
            mask.Counts.Should().Equal(expected[i].GetProperty("counts").EnumerateArray().Select(e => e.GetUInt32()));
            mask.Area.Should().Be(expected[i].GetProperty("area").GetInt64());
            var box = expected[i].GetProperty("bbox").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            mask.ToBox().Should().Be(new CocoBox(box[0], box[1], box[2], box[3]));
            mask.ToCompressedString().Should().Be(strings[i]);
            results[i].Area.Should().Be(mask.Area, "a mask result without a box has the mask's area, as loadRes gives it");
        }
    }

    [Fact]
    public void Masks_follow_maskApi_on_hand_checked_cases()
    {
        // A 2 x 3 block at rows 1-2, columns 1-3 of a 4 x 5 mask: column-major runs 5, 2, 2, 2, 2, 2, 5.
        var pixels = new bool[4, 5];
        for (int y = 1; y < 3; y++)
            for (int x = 1; x < 4; x++)
                pixels[y, x] = true;
        var mask = RunLengthMask.Encode(pixels);
        mask.Counts.Should().Equal(5u, 2u, 2u, 2u, 2u, 2u, 5u);
        mask.ToCompressedString().Should().Be("5220003");
        mask.Area.Should().Be(6);
        mask.ToBox().Should().Be(new CocoBox(1, 1, 3, 2));
        // A 10 x 10 square polygon covers exactly pixels 0..9 (frPoly's pixel-centre rule).
        RunLengthMask.FromPolygon(new double[] { 0, 0, 10, 0, 10, 10, 0, 10 }, 20, 20).Area.Should().Be(100);
        // Union of the top-left 2 x 2 block and the diagonal of a 4 x 4 mask: "02202O00" (a negative delta).
        var block = new bool[4, 4];
        var diagonal = new bool[4, 4];
        for (int i = 0; i < 4; i++)
        {
            diagonal[i, i] = true;
            if (i < 2)
                block[i, 0] = block[i, 1] = true;
        }
        RunLengthMask.Merge(new[] { RunLengthMask.Encode(block), RunLengthMask.Encode(diagonal) }).ToCompressedString().Should().Be("02202O00");
        // Crowd IoU is the intersection over the detection's area.
        var all = RunLengthMask.Encode(new bool[4, 4] { { true, true, true, true }, { true, true, true, true }, { true, true, true, true }, { true, true, true, true } });
        var ious = CocoIou.Masks(new[] { RunLengthMask.Encode(block) }, new[] { all, all }, new[] { false, true });
        ious[0, 0].Should().Be(0.25);
        ious[0, 1].Should().Be(1.0);
        var large = new RunLengthMask(1000, 1000, new uint[] { 0, 123456, 70000, 5, 300000, 526539 });
        RunLengthMask.FromCompressedString(large.ToCompressedString(), 1000, 1000).Counts.Should().Equal(large.Counts);
    }

    [Fact]
    public void About_a_thousand_detections_evaluate_quickly()
    {
        var dataset = GroundTruth("many_classes");
        var results = Results("many_classes", "bbox");
        CocoEvaluator.Evaluate(dataset, results, CocoIouType.Box);
        // Wall time on a shared machine depends on its load; the process's CPU time is what the evaluation costs.
        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        const int Runs = 5;
        for (int i = 0; i < Runs; i++)
            CocoEvaluator.Evaluate(dataset, results, CocoIouType.Box);
        double ms = watch.Elapsed.TotalMilliseconds / Runs;
        process.Refresh();
        double cpuMs = (process.TotalProcessorTime - cpu).TotalMilliseconds / Runs;
        _output.WriteLine($"{results.Count} detections, {dataset.Annotations.Count} ground truths, {dataset.Categories.Count} categories: {ms:F1} ms wall, {cpuMs:F1} ms CPU per evaluation");
        ms.Should().BeLessThan(2000);
    }

    private const string Valid = """{"images":[{"id":1,"width":10,"height":8}],"categories":[{"id":1,"name":"a"}],"annotations":[ANN]}""";
    private const string Ann = """{"id":1,"image_id":1,"category_id":1,"bbox":[1,1,2,2],"area":4,"iscrowd":0}""";

    [Theory]
    [InlineData("[1]", "COCO file 'gt.json' must hold a JSON object with images, annotations and categories, got an array of 1.")]
    [InlineData("{\"images\":[", "COCO file 'gt.json' is not valid JSON (line 1, byte 12).")]
    [InlineData("{\"categories\":[],\"annotations\":[]}", "COCO file 'gt.json': images is missing (the images).")]
    [InlineData("{\"images\":{},\"categories\":[],\"annotations\":[]}", "COCO file 'gt.json': images must be an array (the images), got an object.")]
    [InlineData("{\"images\":[{\"id\":1,\"width\":10}],\"categories\":[],\"annotations\":[]}", "COCO file 'gt.json': images[0].height is missing (pixels).")]
    [InlineData("{\"images\":[{\"id\":1,\"width\":10,\"height\":8},{\"id\":1,\"width\":10,\"height\":8}],\"categories\":[],\"annotations\":[]}", "COCO file 'gt.json': images[1].id 1 repeats images[0].id; ids must be unique.")]
    [InlineData("ANN:{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[1,1,2],\"area\":4}", "COCO file 'gt.json': annotations[0].bbox must be an array of 4 numbers [x, y, width, height], got an array of 3.")]
    [InlineData("ANN:{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":\"1,1,2,2\",\"area\":4}", "COCO file 'gt.json': annotations[0].bbox must be an array of 4 numbers [x, y, width, height], got the string \"1,1,2,2\".")]
    [InlineData("ANN:{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[1,1,2,2]}", "COCO file 'gt.json': annotations[0].area is missing (the object's area in pixels).")]
    [InlineData("ANN:{\"id\":1,\"image_id\":7,\"category_id\":1,\"bbox\":[1,1,2,2],\"area\":4}", "COCO file 'gt.json': annotations[0].image_id 7 names no entry of images.")]
    [InlineData("ANN:{\"id\":\"x\",\"image_id\":1,\"category_id\":1,\"bbox\":[1,1,2,2],\"area\":4}", "COCO file 'gt.json': annotations[0].id must be an integer (the annotation id), got the string \"x\".")]
    [InlineData("ANN:{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[1,1,2,2],\"area\":4,\"iscrowd\":2}", "COCO file 'gt.json': annotations[0].iscrowd must be 0 or 1, got 2.")]
    [InlineData("ANN:{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[1,1,2,2],\"area\":4,\"segmentation\":[[1,1,2,2]],\"iscrowd\":0}," + Ann, "COCO file 'gt.json': annotations[1].id 1 repeats annotations[0].id; ids must be unique.")]
    [InlineData("ANN:{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[1,1,2,2],\"area\":4,\"segmentation\":[[1,1,2,2,3]]}", "COCO file 'gt.json': annotations[0].segmentation[0] must hold an even number of at least 6 coordinates (3 points), got 5.")]
    [InlineData("ANN:{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[1,1,2,2],\"area\":4,\"segmentation\":{\"size\":[8],\"counts\":[80]}}", "COCO file 'gt.json': annotations[0].segmentation.size must be [height, width] of two integers of 0 or more, got an array of 1.")]
    [InlineData("ANN:{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[1,1,2,2],\"area\":4,\"segmentation\":{\"size\":[8,10],\"counts\":[70,-1]}}", "COCO file 'gt.json': annotations[0].segmentation.counts[1] must be a run length (an integer of 0 or more), got -1.")]
    [InlineData("ANN:{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[1,1,2,2],\"area\":4,\"segmentation\":{\"size\":[8,10],\"counts\":\"5 2\"}}", "COCO file 'gt.json': annotations[0].segmentation.counts is not a COCO compressed RLE string: The compressed RLE counts hold ' ' at 1; only characters '0' to 'o' (48 to 111) occur.")]
    public void Malformed_instances_files_are_refused_naming_the_file_and_field(string json, string message)
    {
        if (json.StartsWith("ANN:", StringComparison.Ordinal))
            json = Valid.Replace("ANN", json[4..], StringComparison.Ordinal);
        var act = () => CocoDataset.Parse(json, "gt.json");
        act.Should().Throw<CocoFormatException>().Which.Message.Should().Be(message);
    }

    [Theory]
    [InlineData("{}", "COCO results file 'dt.json' must hold a JSON array of result records, got an object.")]
    [InlineData("[{\"image_id\":1,\"category_id\":1,\"bbox\":[1,1,2,2]}]", "COCO results file 'dt.json': [0].score is missing (its confidence).")]
    [InlineData("[{\"image_id\":1,\"category_id\":1,\"score\":0.5}]", "COCO results file 'dt.json': [0] has neither bbox nor segmentation; a result needs one of them.")]
    [InlineData("[{\"image_id\":1,\"category_id\":1,\"score\":\"high\",\"bbox\":[1,1,2,2]}]", "COCO results file 'dt.json': [0].score must be a finite number (its confidence), got the string \"high\".")]
    [InlineData("[{\"image_id\":1,\"category_id\":1,\"score\":0.5,\"bbox\":[1,1,2,null]}]", "COCO results file 'dt.json': [0].bbox[3] must be a finite number (a box coordinate), got null.")]
    [InlineData("[{\"image_id\":1,\"category_id\":1,\"score\":0.5,\"segmentation\":[[1,1,4,1,4,4]]}]", "COCO results file 'dt.json': [0].segmentation must be an RLE object {\"size\": [h, w], \"counts\": ...}, got an array of 1.")]
    public void Malformed_results_files_are_refused_naming_the_file_and_field(string json, string message)
    {
        var act = () => CocoResults.Parse(json, "dt.json");
        act.Should().Throw<CocoFormatException>().Which.Message.Should().Be(message);
    }

    [Fact]
    public void Results_on_images_the_ground_truth_lacks_are_refused()
    {
        var dataset = CocoDataset.Parse(Valid.Replace("ANN", Ann, StringComparison.Ordinal), "gt.json");
        var act = () => CocoEvaluator.Evaluate(dataset, new[] { new CocoDetection(1, 1, 0.9, new CocoBox(1, 1, 2, 2)), new CocoDetection(5, 1, 0.5, new CocoBox(1, 1, 2, 2)) }, CocoIouType.Box);
        act.Should().Throw<ArgumentException>().Which.Message.Should().Be(
            "detections[1] is on image 5, which the ground truth's images do not list; results must be on the ground truth's images (pycocotools refuses them too). (Parameter 'detections')");
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var act = () => CocoDataset.Load("/nonexistent/instances.json");
        act.Should().Throw<FileNotFoundException>().WithMessage("No COCO file at '/nonexistent/instances.json'.");
    }
}
