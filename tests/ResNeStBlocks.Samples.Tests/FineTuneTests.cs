using System;
using System.Globalization;
using System.IO;
using System.Linq;
using FluentAssertions;
using Microsoft.ML.OnnxRuntime;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Onnx;
using ResNeStBlocks.Samples.Progress;
using ResNeStBlocks.Samples.Data;
using ResNeStBlocks.Samples.FineTune;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Training;
using StbImageSharp;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.Tests;

/// <summary>The FineTune sample end to end on a generated ImageFolder: learning, files, checkpoints, resume.</summary>
[Collection(IsolatedCollection.Name)]
public sealed class FineTuneTests : IClassFixture<ShortFineTuneRun>
{
    private readonly ShortFineTuneRun run;

    public FineTuneTests(ShortFineTuneRun run) => this.run = run;

    [Fact]
    public void Validation_accuracy_is_at_least_twice_chance()
    {
        double chance = 1.0 / DemoData.Classes.Count;

        run.Result.Best.Top1.Should().BeGreaterThanOrEqualTo(2 * chance, run.Output);
        run.Result.Best.Top5.Should().Be(1.0, "with four classes every label is in the top five");
    }

    [Fact]
    public void Grey_and_rgba_images_are_used_and_unreadable_files_skipped_with_a_count()
    {
        using (var grey = File.OpenRead(Path.Combine(run.DataDirectory, "circle", "000.png")))
            ImageInfo.FromStream(grey)!.Value.ColorComponents.Should().Be(ColorComponents.Grey);
        using (var rgba = File.OpenRead(Path.Combine(run.DataDirectory, "circle", "001.png")))
            ImageInfo.FromStream(rgba)!.Value.ColorComponents.Should().Be(ColorComponents.RedGreenBlueAlpha);

        run.Result.SkippedFiles.Should().Be(2);
        (run.Result.TrainImages + run.Result.ValImages).Should().Be(4 * ShortFineTuneRun.PerClass);
        run.Result.ValImages.Should().Be(4 * 12, "a fifth of each class is held out");
        run.Output.Should().Contain("Skipped 2 file(s) that are not readable images");
    }

    [Fact]
    public void Metrics_csv_has_one_row_per_epoch_matching_the_result()
    {
        var lines = File.ReadAllLines(run.Result.MetricsPath);

        lines[0].Should().Be(EpochMetrics.Header);
        lines.Should().HaveCount(1 + run.Options.Epochs);
        var rows = EpochMetrics.ReadAll(run.Result.MetricsPath);
        rows.Select(r => r.Epoch).Should().Equal(1, 2);
        rows.Select(r => r.ValTop1).Should().Equal(run.Result.Epochs.Select(r => Math.Round(r.ValTop1, 4)),
            (a, b) => Math.Abs(a - b) < 1e-4);
        rows.Should().OnlyContain(r => double.IsFinite(r.TrainLoss) && double.IsFinite(r.EmaTop1) && r.ImagesPerSecond > 0);
    }

    [Fact]
    public void The_charts_are_decodable_pngs_of_the_documented_size()
    {
        var training = ImageResult.FromMemory(File.ReadAllBytes(run.Result.TrainingChartPath));
        var confusion = ImageResult.FromMemory(File.ReadAllBytes(run.Result.ConfusionChartPath));

        (training.Width, training.Height).Should().Be((EpochCurves.Width, EpochCurves.Height));
        (confusion.Width, confusion.Height).Should().Be((Charts.ConfusionSize(4), Charts.ConfusionSize(4)));
        Charts.ConfusionSize(4).Should().Be(480);
    }

    [Fact]
    public void The_best_checkpoint_loads_into_a_fresh_model_and_reproduces_its_confusion_matrix()
    {
        File.Exists(run.Result.LastCheckpoint).Should().BeTrue();
        File.Exists(run.Result.BestCheckpoint).Should().BeTrue();
        TrainingCheckpoint.ReadPosition(run.Result.LastCheckpoint).Epoch.Should().Be(2);
        using var model = new ResNet(run.Result.Config);

        var position = TrainingCheckpoint.LoadWeights(run.Result.BestCheckpoint, model, fromEma: run.Result.BestFromEma);

        position.BestEpoch.Should().Be(run.Result.BestEpoch);
        var folder = ImageFiles.Scan(run.DataDirectory, run.Options.ValFraction, run.Options.Seed);
        var preprocess = ModelFactory.Preprocessing(FineTuneOptions.TinyModel, 4, 32).CreatePreprocessor();
        var loader = ImageBatches.Create(folder.Val, (image, _) => preprocess.Process(image), 16, shuffle: false, seed: 1, workers: 1);
        var evaluation = ResNeStBlocks.Samples.FineTune.Evaluation.Run(model, loader, 4, CPU);
        evaluation.Confusion.Should().BeEquivalentTo(run.Result.Best.Confusion);
        evaluation.Top1.Should().Be(run.Result.Best.Top1);
    }

    [Fact]
    public void The_onnx_export_is_the_best_checkpoint_for_the_folders_classes_at_the_evaluation_size()
    {
        run.Result.OnnxPath.Should().Be(Path.Combine(run.Options.OutputDirectory, "model.onnx"));
        run.Output.Should().Contain($"ONNX: {run.Result.OnnxPath} (best checkpoint's {(run.Result.BestFromEma ? "EMA" : "trained")} weights, 32x32 input, 4 classes).");
        using var session = new InferenceSession(run.Result.OnnxPath);
        var metadata = session.ModelMetadata.CustomMetadataMap;
        metadata[OnnxMetadataKeys.NumClasses].Should().Be("4");
        metadata[OnnxMetadataKeys.InputSize].Should().Be("3,32,32");

        using var scope = NewDisposeScope();
        using var best = new ResNet(run.Result.Config);
        TrainingCheckpoint.LoadWeights(run.Result.BestCheckpoint, best, fromEma: run.Result.BestFromEma);
        best.eval();
        var folder = ImageFiles.Scan(run.DataDirectory, run.Options.ValFraction, run.Options.Seed);
        var input = ModelFactory.Preprocessing(FineTuneOptions.TinyModel, 4, 32).CreatePreprocessor()
            .Process(DecodedImage.LoadRgb(folder.Val[0].Path)).unsqueeze(0).contiguous();
        Tensor expected;
        using (no_grad())
            expected = best.call(input);
        using var value = OrtValue.CreateTensorValueFromMemory(input.data<float>().ToArray(), input.shape);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, new[] { OnnxExporter.InputName }, new[] { value }, session.OutputNames);
        var actual = tensor(results[0].GetTensorDataAsSpan<float>().ToArray(), results[0].GetTensorTypeAndShape().Shape);

        session.OutputNames.Should().Equal(OnnxExporter.LogitsOutput);
        actual.shape.Should().Equal(1, 4);
        TensorAssert.Close(actual, expected, atol: 1e-4, rtol: 1e-4, "ONNX Runtime logits vs the best checkpoint in TorchSharp");
    }

    [Fact]
    public void A_resumed_run_continues_after_the_last_epoch_and_extends_the_metrics()
    {
        string resumedOut = Path.Combine(run.Root, "resumed");
        Directory.CreateDirectory(resumedOut);
        foreach (var file in Directory.GetFiles(run.Options.OutputDirectory))
            File.Copy(file, Path.Combine(resumedOut, Path.GetFileName(file)));
        var output = new StringWriter();

        var resumed = FineTuneApp.Run(run.Options with { Epochs = 3, OutputDirectory = resumedOut, ResumePath = Path.Combine(resumedOut, "last.safetensors") },
            output, new ResNeStBlocks.Samples.Progress.PlainTextObserver(output));

        output.ToString().Should().Contain("Resumed from").And.Contain("after epoch 2");
        output.ToString().Split('\n').Count(l => l.StartsWith("epoch ", StringComparison.Ordinal)).Should().Be(1);
        resumed.Epochs.Select(e => e.Epoch).Should().Equal(1, 2, 3);
        EpochMetrics.ReadAll(Path.Combine(resumedOut, "metrics.csv")).Select(r => r.Epoch).Should().Equal(1, 2, 3);
        TrainingCheckpoint.ReadPosition(Path.Combine(resumedOut, "last.safetensors")).Epoch.Should().Be(3);
    }

    [Fact]
    public void Redirected_output_is_plain_lines_without_escape_codes()
    {
        run.Output.Should().NotContain("\u001b");
        run.Output.Split('\n').Count(l => l.StartsWith("epoch ", StringComparison.Ordinal)).Should().Be(2);
        run.Output.Should().Contain("val top-1 ").And.Contain("Best: epoch ").And.Contain(run.Result.BestCheckpoint);
        run.Output.Should().Contain(string.Create(CultureInfo.InvariantCulture, $"{run.Result.TrainImages} training and {run.Result.ValImages} validation images of 4 classes"));
    }
}
