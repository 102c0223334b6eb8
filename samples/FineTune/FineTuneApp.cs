using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Hub;
using ResNeStBlocks.Onnx;
using ResNeStBlocks.Preprocessing;
using ResNeStBlocks.Runtime;
using ResNeStBlocks.Samples.Data;
using ResNeStBlocks.Samples.CommandLine;
using ResNeStBlocks.Samples.Progress;
using ResNeStBlocks.Samples.Training;
using ResNeStBlocks.Training;
using ResNeStBlocks.Vision;
using ResNeStBlocks.Weights;
using ResNeStBlocks.Zoo;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.FineTune;

/// <summary>The FineTune program: fits a ResNeSt-family model to an ImageFolder.</summary>
public static class FineTuneApp
{
    /// <summary>Exit code for user errors (bad options, unusable data, mismatched weights).</summary>
    public const int ErrorExitCode = CommandLineErrors.ExitCode;

    /// <summary>Runs the program: parses <paramref name="args"/>, trains, and reports errors as one line on <paramref name="error"/>.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="output">Where headings, progress and summaries go.</param>
    /// <param name="error">Where errors go.</param>
    /// <param name="live">Show the live Spectre.Console display when the console is a terminal.</param>
    /// <param name="hub">Endpoint, cache, token and offline mode for <c>--pretrained</c>; null for huggingface_hub's environment variables.</param>
    /// <returns>0 on success, <see cref="ErrorExitCode"/> on a user error.</returns>
    public static int Execute(IReadOnlyList<string> args, TextWriter output, TextWriter error, bool live = false, HubOptions? hub = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        try
        {
            var options = FineTuneOptions.Parse(args);
            if (options is null)
            {
                output.WriteLine(FineTuneOptions.Usage);
                return 0;
            }
            if (options.DemoDataDirectory is { } demo)
            {
                int written = DemoData.Write(demo);
                output.WriteLine($"Wrote {written} images of {DemoData.Classes.Count} classes ({string.Join(", ", DemoData.Classes)}) to {demo}.");
                return 0;
            }
            if (live && ProgressDisplay.IsLive)
            {
                // Spectre shows one live display at a time: the download bar runs first and leaves the weights in the
                // cache, where the training display's run finds them without a transfer.
                CheckInputs(options);
                if (options.Pretrained)
                    FetchPretrained(options.Model, new SpectreDownloadDisplay(), hub);
                ProgressDisplay.Run((writer, observer) => Run(options, writer, observer, hub: hub));
            }
            else
                Run(options, output, new PlainTextObserver(output), new PlainDownloadDisplay(output), hub);
            return 0;
        }
        catch (HubException e)
        {
            // The options were fine; the message says what to do about the network, token or cache.
            return CommandLineErrors.Report(e, error, pointToHelp: false);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or FileNotFoundException or StateDictMismatchException
                                     or SafeTensorsFormatException)
        {
            return CommandLineErrors.Report(e, error);
        }
    }

    /// <summary>Fine-tunes as <paramref name="options"/> say.</summary>
    /// <param name="options">What to train on and how.</param>
    /// <param name="output">Where headings and summaries go.</param>
    /// <param name="observer">Receives per-step and per-epoch progress.</param>
    /// <param name="display">Shows the <c>--pretrained</c> download when the weights are not cached yet; null for plain lines on <paramref name="output"/>.</param>
    /// <param name="hub">Endpoint, cache, token and offline mode for that download; null for huggingface_hub's environment variables.</param>
    /// <returns>Per-epoch metrics, the best checkpoint's evaluation and the output paths.</returns>
    /// <exception cref="ArgumentException">An option or the data folder is unusable.</exception>
    /// <exception cref="HubException">The pretrained weights cannot be downloaded; the message says why and what to do.</exception>
    public static FineTuneResult Run(FineTuneOptions options, TextWriter output, ITrainingObserver observer, IDownloadDisplay? display = null,
        HubOptions? hub = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(observer);
        CheckInputs(options);
        var device = options.Device == "cuda"
            ? cuda.is_available() ? CUDA : throw new ArgumentException("--device cuda: no CUDA device is available to TorchSharp (is TorchSharp-cuda referenced?).", nameof(options))
            : CPU;
        string? weights = options.Pretrained ? FetchPretrained(options.Model, display ?? new PlainDownloadDisplay(output), hub) : options.WeightsPath;
        int previousThreads = get_num_threads();
        set_num_threads(options.TorchThreads);
        try
        {
            return Train(options, output, observer, device, weights);
        }
        finally
        {
            set_num_threads(previousThreads);
        }
    }

    /// <summary>Throws for bad options, an unknown model and missing files, before any download or native call.</summary>
    private static void CheckInputs(FineTuneOptions options)
    {
        options.Validate();
        if (!ModelFactory.IsKnown(options.Model))
            ModelFactory.Config(options.Model, 2, 0);   // throws the unknown-model message
        if (options.WeightsPath is { } weights && !File.Exists(weights))
            throw new ArgumentException($"Weights file not found: {weights}.", nameof(options));
        if (options.ResumePath is { } resume && !File.Exists(resume))
            throw new ArgumentException($"Checkpoint to resume not found: {resume}.", nameof(options));
    }

    /// <summary>timm's <c>model.safetensors</c> for <paramref name="model"/> (its default tag, or the tag it names), from the cache or the Hub.</summary>
    private static string FetchPretrained(string model, IDownloadDisplay display, HubOptions? hub) =>
        WeightsDownload.Fetch(ModelZoo.Pretrained(model).Source!.Id, display, hub);

    private static FineTuneResult Train(FineTuneOptions options, TextWriter output, ITrainingObserver observer, Device device, string? weights)
    {
        var clock = Stopwatch.StartNew();
        var folder = ImageFiles.Scan(options.DataDirectory, options.ValFraction, options.Seed);
        int classes = folder.Classes.Count;
        string split = folder.HasValFolder ? "val folder" : Invariant($"{options.ValFraction:0.##} of each class held out");
        output.WriteLine($"Data: {folder.Train.Count} training and {folder.Val.Count} validation images of {classes} classes ({string.Join(", ", folder.Classes)}) in {options.DataDirectory} ({split}).");
        if (folder.Skipped.Count > 0)
            output.WriteLine($"Skipped {folder.Skipped.Count} file(s) that are not readable images, such as {folder.Skipped[0]}.");
        if (folder.Train.Count < options.BatchSize)
            throw new ArgumentException($"--batch-size ({options.BatchSize}) is larger than the {folder.Train.Count} training images; lower it.", nameof(options));

        var config = ModelFactory.Config(options.Model, classes, options.DropPathRate);
        var pretrained = ModelFactory.Preprocessing(options.Model, classes, options.ImageSize);
        int size = pretrained.InputSize;
        manual_seed(options.Seed);
        using var model = new ResNet(config);
        if (weights is not null)
        {
            model.LoadWeights(weights, strict: true, skipClassifier: true);
            string source = options.Pretrained ? $"timm's {ModelZoo.Pretrained(options.Model).Source!.Id} ({weights})" : weights;
            output.WriteLine($"Weights: {source} (classifier replaced for {classes} classes).");
        }
        model.to(device);
        output.WriteLine(Invariant($"Model: {options.Model}, {model.parameters().Sum(p => p.numel()):N0} parameters, {size}x{size} input, {options.Optimizer} lr {options.PeakLearningRate:G3}, {(options.EmaDecay > 0 ? "EMA " + options.EmaDecay.ToString(CultureInfo.InvariantCulture) : "no EMA")}, on {device.type}."));

        var groups = WeightDecayGroups.Split(model);
        using OptimizerHelper optimizer = options.Optimizer == "sgd"
            ? groups.CreateSgd(options.PeakLearningRate, options.WeightDecay, momentum: 0.9, nesterov: true)
            : groups.CreateAdamW(options.PeakLearningRate, options.WeightDecay);
        using var ema = options.EmaDecay > 0 ? ModelEma.For(model, new EmaOptions(Decay: options.EmaDecay, UseWarmup: true)) : null;

        var augment = new ClassificationTrainTransform(size, pretrained.Interpolation, pretrained.Mean, pretrained.Std, options.ColorJitter,
            new RandomResizedCrop(options.MinScale, options.MaxScale));
        var preprocess = pretrained.CreatePreprocessor();
        var trainLoader = ImageBatches.Create(folder.Train, augment.Apply, options.BatchSize, shuffle: true, options.Seed, options.Workers);
        var valLoader = ImageBatches.Create(folder.Val, (image, _) => preprocess.Process(image), options.BatchSize, shuffle: false, options.Seed, options.Workers);
        int steps = trainLoader.BatchCount;
        // timm's defaults: warm-up from 1e-5, cosine down to 0, counted in optimizer steps.
        var schedule = CosineSchedule.PerStep(options.PeakLearningRate, options.Epochs, steps, options.WarmupEpochs,
            minRate: 0, warmupInitialRate: Math.Min(1e-5, options.PeakLearningRate));

        var metadata = new Dictionary<string, string>
        {
            ["model"] = options.Model,
            ["classes"] = string.Join("\n", folder.Classes),
            ["image_size"] = size.ToString(CultureInfo.InvariantCulture),
        };
        Directory.CreateDirectory(options.OutputDirectory);
        string metricsPath = Path.Combine(options.OutputDirectory, "metrics.csv");
        var position = new CheckpointPosition(0, 0, -1, 0);
        var rows = new List<EpochMetrics>();
        if (options.ResumePath is { } resume)
        {
            CheckResumable(resume, metadata);
            position = TrainingCheckpoint.Load(resume, model, optimizer, ema?.Module);
            rows = EpochMetrics.ReadAll(metricsPath).Where(r => r.Epoch <= position.Epoch).ToList();
            output.WriteLine(Invariant($"Resumed from {resume} after epoch {position.Epoch} (best validation top-1 {position.BestMetric:0.0%} at epoch {position.BestEpoch})."));
        }

        var loop = new EpochLoop<ResNet, LabelledImage, EpochMetrics>
        {
            Model = model,
            Optimizer = optimizer,
            Ema = ema,
            TrainBatches = trainLoader,
            LearningRate = schedule.At,
            Step = (images, labels) =>
            {
                model.zero_grad();
                var logits = model.call(images);
                var loss = nn.functional.cross_entropy(logits, labels, label_smoothing: options.LabelSmoothing);
                loss.backward();
                optimizer.step();
                return new StepOutcome(loss.detach(), logits.argmax(1).eq(labels).sum());
            },
            Evaluate = training =>
            {
                var val = Evaluation.Run(model, valLoader, classes, device);
                var emaVal = ema is null ? null : Evaluation.Run(ema.Module, valLoader, classes, device);
                var row = new EpochMetrics(training.Epoch, training.Loss, training.Accuracy, val.Loss, val.Top1, val.Top5, emaVal?.Top1 ?? double.NaN,
                    emaVal?.Top5 ?? double.NaN, training.LearningRate, training.ImagesPerSecond, training.Clock.Elapsed.TotalSeconds);
                string note = Invariant($"val top-1 {val.Top1:0.0%} top-5 {val.Top5:0.0%}") + (emaVal is null ? "" : Invariant($"  EMA top-1 {emaVal.Top1:0.0%}"));
                return new EpochResult<EpochMetrics>(row, (emaVal ?? val).Top1, note);
            },
            WriteMetrics = all =>
            {
                EpochMetrics.WriteAll(metricsPath, all);
                Charts.SaveTraining(Path.Combine(options.OutputDirectory, "training.png"), all);
            },
            OutputDirectory = options.OutputDirectory,
            Metadata = metadata,
            Observer = observer,
            Device = device,
        };
        position = loop.Run(position, rows, options.Epochs);

        var best = EvaluateBest(options, config, pretrained, valLoader, classes, device, ema is not null, folder.Classes);
        var result = new FineTuneResult(folder.Classes, folder.Train.Count, folder.Val.Count, folder.Skipped.Count, config, rows,
            position.BestEpoch, ema is not null, best, options.OutputDirectory, clock.Elapsed) { OnnxPath = options.ExportOnnx ? options.OnnxFile : null };
        output.WriteLine(Invariant($"Best: epoch {result.BestEpoch}, validation top-1 {best.Top1:0.0%}, top-5 {best.Top5:0.0%} ({(result.BestFromEma ? "EMA" : "trained")} weights; chance {1.0 / classes:0.0%})."));
        output.WriteLine($"Wrote {result.BestCheckpoint}, {result.LastCheckpoint}, {result.MetricsPath}, {result.TrainingChartPath}, {result.ConfusionChartPath}.");
        if (result.OnnxPath is { } onnx)
            output.WriteLine($"ONNX: {onnx} (best checkpoint's {(result.BestFromEma ? "EMA" : "trained")} weights, {size}x{size} input, {classes} classes).");
        output.WriteLine(Invariant($"Time: {clock.Elapsed.TotalSeconds:0.0} s."));
        return result;
    }

    /// <summary>Reloads the best checkpoint into a fresh model, evaluates it, draws its confusion matrix and, when asked, exports it as ONNX.</summary>
    private static EvaluationResult EvaluateBest(FineTuneOptions options, ResNetConfig config, PretrainedConfig pretrained, BatchLoader<LabelledImage> valLoader,
        int classes, Device device, bool fromEma, IReadOnlyList<string> classNames)
    {
        using var best = new ResNet(config);
        var position = TrainingCheckpoint.LoadWeights(FineTuneResult.BestPath(options.OutputDirectory), best, fromEma);
        best.to(device);
        var evaluation = Evaluation.Run(best, valLoader, classes, device);
        Charts.SaveConfusion(Path.Combine(options.OutputDirectory, "confusion.png"), evaluation.Confusion, classNames,
            Invariant($"Best (epoch {position.BestEpoch}): top-1 {evaluation.Top1:0.0%}"));
        if (options.ExportOnnx)
        {
            // The metadata carries the evaluation preprocessing at the trained size, so a deployer prepares images as validation did.
            string path = options.OnnxFile;
            if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } folder)
                Directory.CreateDirectory(folder);
            best.to(CPU);
            OnnxExporter.Export(best, path, new OnnxExportOptions { Pretrained = pretrained });
        }
        return evaluation;
    }

    private static void CheckResumable(string path, IReadOnlyDictionary<string, string> expected)
    {
        var found = TrainingCheckpoint.ReadMetadata(path);
        foreach (var key in new[] { "model", "classes", "image_size" })
        {
            string have = found.TryGetValue(key, out var value) ? value : "(absent)";
            if (have != expected[key])
                throw new ArgumentException(
                    $"{path} was trained with {key} '{have.Replace("\n", ", ", StringComparison.Ordinal)}', but this run has '{expected[key].Replace("\n", ", ", StringComparison.Ordinal)}'; resume with the same data and --model/--image-size.",
                    nameof(path));
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
