using System;
using System.Globalization;
using System.IO;
using System.Linq;
using FluentAssertions;
using Microsoft.ML.OnnxRuntime;
using ResNeStBlocks.Onnx;
using ResNeStBlocks.Samples.Data;
using ResNeStBlocks.Samples.Progress;
using ResNeStBlocks.Samples.Segment;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Training;
using ResNeStBlocks.Weights;
using StbImageSharp;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.Tests;

/// <summary>The Segment sample end to end on generated scenes: learning, files, overlays, ONNX, inference, exact resume.</summary>
[Collection(IsolatedCollection.Name)]
public sealed class SegmentTests : IClassFixture<ShortSegmentRun>
{
    /// <summary>
    /// The bound the two-epoch run must beat (the README's): a mean IoU of 0.5 (measured: 0.73). Predicting background
    /// everywhere scores below 0.2 on these scenes (background's IoU, under 0.9, over five classes).
    /// </summary>
    public const double MeanIoUBound = 0.5;

    private readonly ShortSegmentRun run;

    public SegmentTests(ShortSegmentRun run) => this.run = run;

    [Fact]
    public void Two_epochs_on_generated_scenes_beat_the_documented_mean_iou()
    {
        run.Result.Best.Scores.MeanIoU.Should().BeGreaterThan(MeanIoUBound, run.Output);
        run.Result.Best.Scores.PixelAccuracy.Should().BeGreaterThan(0.8, run.Output);
        run.Result.BestFromEma.Should().BeTrue();
        run.Output.Should().Contain("Best: epoch ").And.Contain("IoU per class: background ");
        (run.Result.TrainPairs, run.Result.ValPairs).Should().Be((77, 19));
    }

    [Fact]
    public void Metrics_csv_has_one_row_per_epoch_with_every_class_iou()
    {
        var lines = File.ReadAllLines(run.Result.MetricsPath);

        lines[0].Should().Be("epoch,train_loss,train_pixel_accuracy,val_loss,pixel_accuracy,mean_iou,ema_pixel_accuracy,ema_mean_iou,lr,images_per_second,seconds," +
            "iou_background,iou_circle,iou_cross,iou_square,iou_triangle");
        lines.Should().HaveCount(3);
        var rows = EpochMetrics.ReadAll(run.Result.MetricsPath, run.Result.Classes);
        rows.Select(r => r.Epoch).Should().Equal(1, 2);
        rows.Should().OnlyContain(r => double.IsFinite(r.TrainLoss) && double.IsFinite(r.EmaMeanIoU) && r.ClassIoU.Count == 5 && r.ImagesPerSecond > 0);
        rows[1].MeanIoU.Should().BeApproximately(run.Result.Epochs[1].MeanIoU, 1e-5);
        double defined = rows[1].ClassIoU.Where(v => !double.IsNaN(v)).Average();
        rows[1].MeanIoU.Should().BeApproximately(defined, 1e-5, "the mean IoU is the mean of the defined class IoUs");
    }

    [Fact]
    public void The_charts_are_decodable_pngs_of_the_documented_size()
    {
        var training = ImageResult.FromMemory(File.ReadAllBytes(run.Result.TrainingChartPath));
        var iou = ImageResult.FromMemory(File.ReadAllBytes(run.Result.IouChartPath));

        (training.Width, training.Height).Should().Be((EpochCurves.Width, EpochCurves.Height));
        (iou.Width, iou.Height).Should().Be((Charts.IouWidth(5), Charts.IouHeight));
        Charts.IouWidth(5).Should().Be(550);
    }

    [Fact]
    public void Overlays_show_the_image_its_prediction_by_the_best_checkpoint_and_its_ground_truth_blended()
    {
        run.Result.Overlays.Should().HaveCount(2);
        var folder = SegmentData.Scan(run.DataDirectory, run.Options.ValFraction, run.Options.Seed);
        var pair = folder.Val[0];
        run.Result.Overlays[0].Should().Be(Path.Combine(run.Options.OutputDirectory, "overlays", Path.GetFileNameWithoutExtension(pair.Image) + ".png"));
        using var image = DecodedImage.LoadRgb(pair.Image);
        var rgb = image.data<byte>().ToArray();
        var truth = MaskPng.Read(pair.Mask);
        using var segmenter = Segmenter.Open(run.Result.BestCheckpoint, CPU);
        var predicted = segmenter.Predict(image);
        var picture = ImageResult.FromMemory(File.ReadAllBytes(run.Result.Overlays[0]), ColorComponents.RedGreenBlue);

        picture.Width.Should().Be(Overlay.PictureWidth(truth.Width, 3, run.Result.Classes));
        picture.Width.Should().BeGreaterThanOrEqualTo(3 * truth.Width + 2 * Overlay.Gap);
        picture.Height.Should().Be(truth.Height + 2 * Overlay.LegendHeight);
        var panels = new[] { rgb, Overlay.Blend(rgb, predicted), Overlay.Blend(rgb, truth.Indices) };
        for (int panel = 0; panel < 3; panel++)
        {
            for (int y = 0; y < truth.Height; y++)
            {
                for (int x = 0; x < truth.Width; x++)
                {
                    var (row, column) = Overlay.Position(panel, truth.Width, y, x);
                    int at = 3 * (row * picture.Width + column), expected = 3 * (y * truth.Width + x);
                    (picture.Data[at], picture.Data[at + 1], picture.Data[at + 2]).Should()
                        .Be((panels[panel][expected], panels[panel][expected + 1], panels[panel][expected + 2]), $"panel {panel} at ({x}, {y})");
                }
            }
        }
        // Blending halves the way from the pixel's grey to the class colour: a square pixel (class 3, olive 128, 128, 0)
        // over pure red, whose luma is round(0.299 * 255) = 76.
        Overlay.Blend(new byte[] { 255, 0, 0 }, new byte[] { 3 }).Should().Equal(102, 102, 38);
    }

    [Fact]
    public void The_onnx_export_of_the_best_checkpoint_equals_it_in_onnx_runtime()
    {
        run.Result.OnnxPath.Should().Be(Path.Combine(run.Options.OutputDirectory, "model.onnx"));
        using var session = new InferenceSession(run.Result.OnnxPath);
        session.OutputNames.Should().Equal("out", "aux");
        session.ModelMetadata.CustomMetadataMap[OnnxMetadataKeys.NumClasses].Should().Be("5");
        session.ModelMetadata.CustomMetadataMap[OnnxMetadataKeys.InputSize].Should().Be("3,56,56");
        var folder = SegmentData.Scan(run.DataDirectory, run.Options.ValFraction, run.Options.Seed);

        using var torchSharp = Segmenter.Open(run.Result.BestCheckpoint, CPU);
        using var onnx = Segmenter.Open(run.Result.OnnxPath!, CPU);
        onnx.Classes.Should().Equal(run.Result.Classes, "classes.txt lies beside the ONNX file");
        onnx.BaseSize.Should().Be(56);
        foreach (var pair in folder.Val.Take(3))
        {
            using var scope = NewDisposeScope();
            var input = torchSharp.Input(DecodedImage.LoadRgb(pair.Image));
            var expected = torchSharp.Logits(input);
            var actual = onnx.Logits(input);

            actual.shape.Should().Equal(expected.shape);
            TensorAssert.Close(actual, expected, atol: 1e-4, rtol: 1e-4, $"ONNX Runtime vs TorchSharp logits of {pair.Image}");
        }
    }

    [Fact]
    public void The_inference_command_writes_the_same_overlay_from_the_checkpoint_and_from_the_onnx_file()
    {
        var folder = SegmentData.Scan(run.DataDirectory, run.Options.ValFraction, run.Options.Seed);
        string image = folder.Val[1].Image;
        string fromCheckpoint = Path.Combine(run.Root, "checkpoint.overlay.png"), fromOnnx = Path.Combine(run.Root, "onnx.overlay.png");
        var output = new StringWriter();

        SegmentApp.Execute(new[] { "--model", run.Result.BestCheckpoint, "--image", image, "--output", fromCheckpoint }, output, TextWriter.Null)
            .Should().Be(0);
        SegmentApp.Execute(new[] { "--model", run.Result.OnnxPath!, "--image", image, "--output", fromOnnx }, output, TextWriter.Null)
            .Should().Be(0);

        output.ToString().Should().Contain("(TorchSharp, ").And.Contain("(ONNX Runtime, ").And.Contain($"Wrote {fromOnnx}.");
        var a = ImageResult.FromMemory(File.ReadAllBytes(fromCheckpoint), ColorComponents.RedGreenBlue);
        var b = ImageResult.FromMemory(File.ReadAllBytes(fromOnnx), ColorComponents.RedGreenBlue);
        (a.Width, a.Height).Should().Be((b.Width, b.Height));
        int differing = Enumerable.Range(0, a.Data.Length).Count(i => a.Data[i] != b.Data[i]);
        differing.Should().BeLessThanOrEqualTo(a.Data.Length / 1000, "both engines compute the same logits within 1e-4");
    }

    [Theory]
    [InlineData("fp32")]
    [InlineData("bf16")]
    public void A_run_interrupted_after_epoch_one_and_resumed_ends_with_the_uninterrupted_runs_weights_bit_for_bit(string precision)
    {
        string uninterrupted = run.Result.LastCheckpoint;
        if (precision != "fp32")
        {
            uninterrupted = Path.Combine(run.Root, $"{precision}-whole", "last.safetensors");
            SegmentApp.Run(ShortSegmentRun.OptionsFor(run.DataDirectory, Path.GetDirectoryName(uninterrupted)!) with { Precision = precision, ExportOnnx = false, Overlays = 0 },
                TextWriter.Null, new PlainTextObserver(TextWriter.Null));
        }
        var options = ShortSegmentRun.OptionsFor(run.DataDirectory, Path.Combine(run.Root, $"{precision}-interrupted")) with
        {
            Precision = precision, ExportOnnx = false, Overlays = 0,
        };

        var interrupt = () => SegmentApp.Run(options, TextWriter.Null, new InterruptAfter(1));
        interrupt.Should().Throw<OperationCanceledException>();
        TrainingCheckpoint.ReadPosition(Path.Combine(options.OutputDirectory, "last.safetensors")).Epoch.Should().Be(1);
        var output = new StringWriter();
        var resumed = SegmentApp.Run(options with { ResumePath = Path.Combine(options.OutputDirectory, "last.safetensors") }, output, new PlainTextObserver(output));

        output.ToString().Should().Contain("Resumed from").And.Contain("after epoch 1");
        resumed.Epochs.Select(e => e.Epoch).Should().Equal(1, 2);
        var expected = SafeTensors.Load(uninterrupted);
        var actual = SafeTensors.Load(resumed.LastCheckpoint);
        try
        {
            actual.Keys.Should().BeEquivalentTo(expected.Keys);
            expected.Keys.Should().Contain(k => k.StartsWith("ema.", StringComparison.Ordinal)).And.Contain("optimizer");
            foreach (var key in expected.Keys)
                (actual[key].shape.SequenceEqual(expected[key].shape) && actual[key].eq(expected[key]).all().item<bool>()).Should().BeTrue($"'{key}' must be bit-equal ({precision})");
        }
        finally
        {
            foreach (var tensor in expected.Values.Concat(actual.Values))
                tensor.Dispose();
        }
    }

    [Fact]
    public void Redirected_output_is_plain_lines_without_escape_codes()
    {
        run.Output.Should().NotContain("\u001b");
        run.Output.Split('\n').Count(l => l.StartsWith("epoch ", StringComparison.Ordinal)).Should().Be(2);
        run.Output.Should().Contain("val mIoU ").And.Contain(run.Result.BestCheckpoint);
        run.Output.Should().Contain(string.Create(CultureInfo.InvariantCulture,
            $"Data: 77 training and 19 validation images of 5 classes (background, circle, cross, square, triangle) in {run.DataDirectory} (0.2 held out)."));
    }

    /// <summary>Stops a run (as Ctrl-C would) once an epoch's checkpoint is written.</summary>
    private sealed class InterruptAfter : ITrainingObserver
    {
        private readonly int epoch;

        public InterruptAfter(int epoch) => this.epoch = epoch;

        public void EpochStarted(int epoch, int epochs, int steps)
        {
        }

        public void StepFinished(StepProgress progress)
        {
        }

        public void EpochFinished(EpochSummary summary)
        {
            if (summary.Epoch == epoch)
                throw new OperationCanceledException($"interrupted after epoch {epoch}");
        }
    }
}
