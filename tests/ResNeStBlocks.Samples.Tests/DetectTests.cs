using System;
using System.Globalization;
using System.IO;
using System.Linq;
using FluentAssertions;
using Microsoft.ML.OnnxRuntime;
using ResNeStBlocks.Onnx;
using ResNeStBlocks.Samples.Detect;
using ResNeStBlocks.Samples.Progress;
using ResNeStBlocks.Samples.Training;
using ResNeStBlocks.Training;
using StbImageSharp;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.Tests;

/// <summary>The Detect sample end to end on generated shapes: learning, files, ONNX, inference from a checkpoint.</summary>
[Collection(ResNeStBlocks.Testing.IsolatedCollection.Name)]
public sealed class DetectTests : IClassFixture<ShortDetectRun>
{
    /// <summary>
    /// The AP50 the short run (96 training images, 3 epochs, one thread: deterministic) must beat: the issue's 0.5 for the
    /// full demo. Measured: 0.853 at epoch 3.
    /// </summary>
    public const double AP50Bound = 0.5;

    private readonly ShortDetectRun run;

    public DetectTests(ShortDetectRun run) => this.run = run;

    [Fact]
    public void Short_run_on_generated_shapes_beats_the_ap50_bound()
    {
        run.Result.BestAP50.Should().BeGreaterThan(AP50Bound, run.Output);
        run.Output.Should().Contain("fasterrcnn_tiny_fpn on COCO").And.Contain("96 train / 16 val images (split given)").And.Contain("Best epoch ");
    }

    [Fact]
    public void Metrics_csv_has_losses_aps_and_per_class_ap_per_epoch()
    {
        var lines = File.ReadAllLines(Path.Combine(run.Options.OutputDirectory, "metrics.csv"));

        lines[0].Should().Be("epoch,seconds,lr,loss,loss_classifier,loss_box_reg,loss_objectness,loss_rpn_box_reg,AP,AP50,AP75,AP_square,AP_circle,AP_triangle");
        lines.Should().HaveCount(4);
        var rows = DetectOutputs.ReadMetrics(run.Options.OutputDirectory, 3);
        rows.Select(r => r.Epoch).Should().Equal(1, 2, 3);
        rows[^1].AP50.Should().BeApproximately(run.Result.Rows[^1].AP50, 1e-6, "metrics.csv keeps 6 decimals");
        rows.Should().OnlyContain(r => r.Losses.All(l => double.IsFinite(l.Value)) && r.ClassAP.Count == 3);
    }

    [Fact]
    public void Charts_and_overlays_are_decodable_pngs()
    {
        foreach (var name in new[] { "training-curves.png", "precision-recall.png" })
        {
            var chart = ImageResult.FromMemory(File.ReadAllBytes(Path.Combine(run.Options.OutputDirectory, name)));
            (chart.Width, chart.Height).Should().Be((EpochCurves.Width, EpochCurves.Height), name);
        }
        var overlays = ImageResult.FromMemory(File.ReadAllBytes(Path.Combine(run.Options.OutputDirectory, "overlays.png")));
        // Six validation images, each drawn twice (ground truth, predictions) at 256 pixels, with 6-pixel gaps and a title line.
        (overlays.Width, overlays.Height).Should().Be((2 * 256 + 3 * 6, 6 * (256 + 6) + 6 + 18));
    }

    [Fact]
    public void Onnx_export_of_the_best_checkpoint_gives_its_detections_in_onnx_runtime()
    {
        using var model = DetectApp.LoadCheckpoint(CheckpointFiles.Best(run.Options.OutputDirectory), out _);
        using var session = new InferenceSession(File.ReadAllBytes(run.Options.OnnxFile), new SessionOptions { IntraOpNumThreads = 1 });
        var data = DetectionData.Open(run.DataDirectory, 0.2, 1);
        session.ModelMetadata.CustomMetadataMap[OnnxMetadataKeys.ClassNames].Should().Be("[\"__background__\",\"square\",\"circle\",\"triangle\"]",
            "the file names its labels for a deployment (samples/OnnxDetect)");
        int compared = 0;
        foreach (var item in data.Val.Take(4))
        {
            using var scope = NewDisposeScope();
            var image = DetectionData.LoadImage(item.ImagePath);
            var expected = HostDetections.From(model.Detect(new[] { image })[0]);
            var pixels = image.contiguous().data<float>().ToArray();
            using var value = OrtValue.CreateTensorValueFromMemory(pixels, new long[] { 1, 3, image.size(1), image.size(2) });
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, new[] { OnnxExporter.InputName }, new[] { value }, new[] { "boxes", "scores", "labels" });
            var boxes = results[0].GetTensorDataAsSpan<float>().ToArray();
            var scores = results[1].GetTensorDataAsSpan<float>().ToArray();
            var labels = results[2].GetTensorDataAsSpan<long>().ToArray();
            labels.Should().Equal(expected.Labels);
            for (int k = 0; k < labels.Length; k++)
            {
                scores[k].Should().BeApproximately(expected.Scores[k], 1e-4f);
                for (int j = 0; j < 4; j++)
                    boxes[4 * k + j].Should().BeApproximately(expected.Boxes[k, j], 1e-4f);
            }
            compared += labels.Length;
        }
        compared.Should().BePositive();
    }

    [Fact]
    public void Predict_from_a_checkpoint_prints_and_draws_the_detections()
    {
        string output = Path.Combine(run.Root, "predict");
        string image = Path.Combine(run.DataDirectory, "val", "val_0000.png");
        var writer = new StringWriter();

        int code = DetectApp.Execute(new[] { "--predict", image, "--checkpoint", CheckpointFiles.Best(run.Options.OutputDirectory), "--output", output, "--threads", "1" },
            writer, new StringWriter());

        code.Should().Be(0, writer.ToString());
        writer.ToString().Should().Contain($"drawn in {Path.Combine(output, "prediction.png")}");
        var drawing = ImageResult.FromMemory(File.ReadAllBytes(Path.Combine(output, "prediction.png")));
        (drawing.Width, drawing.Height).Should().Be((256, 256));
    }
}
