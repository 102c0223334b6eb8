using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using ResNeStBlocks.Dense;
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
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.Segment;

/// <summary>The Segment program: trains a segmentation model on image and mask folders, or segments one image.</summary>
public static class SegmentApp
{
    // The ignore index, held: TorchSharp 0.107 would free a temporary Scalar during the native call.
    private static readonly Scalar Ignore = (long)SegmentationFolder.IgnoreIndex;

    /// <summary>Exit code for user errors (bad options, unusable data, mismatched weights).</summary>
    public const int ErrorExitCode = CommandLineErrors.ExitCode;

    /// <summary>Runs the program: parses <paramref name="args"/>, acts, and reports errors as one line on <paramref name="error"/>.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="output">Where headings, progress and summaries go.</param>
    /// <param name="error">Where errors go.</param>
    /// <param name="live">Show the live Spectre.Console display when the console is a terminal.</param>
    /// <param name="hub">Where and how <c>--pretrained imagenet</c> and <c>--pretrained torchvision</c> fetch weights; null for the process environment's (HF_HOME, TORCH_HOME, ...).</param>
    /// <returns>0 on success, <see cref="ErrorExitCode"/> on a user error.</returns>
    public static int Execute(IReadOnlyList<string> args, TextWriter output, TextWriter error, bool live = false, HubOptions? hub = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        try
        {
            var options = SegmentOptions.Parse(args);
            if (options is null)
            {
                output.WriteLine(SegmentOptions.Usage);
                return 0;
            }
            switch (options.Mode)
            {
                case SegmentMode.MakeDemoData:
                    int written = DemoScenes.Write(options.DemoDataDirectory!);
                    output.WriteLine($"Wrote {written} scenes with masks of {DemoScenes.Classes.Count} classes ({string.Join(", ", DemoScenes.Classes)}) to {options.DemoDataDirectory}.");
                    return 0;
                case SegmentMode.Predict:
                    Predict(options, output);
                    return 0;
            }
            if (live && ProgressDisplay.IsLive)
            {
                // Spectre shows one live display at a time: the download bar runs first and leaves the weights in the
                // cache, where the training display's run finds them without a transfer.
                CheckInputs(options);
                if (options.Pretrained)
                    SegmentPretrained.Fetch(options.Model, options.PretrainedSourceInEffect, new SpectreDownloadDisplay(), hub);
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
                                     or WeightsFormatException or OnnxRuntimeException)
        {
            return CommandLineErrors.Report(e, error);
        }
    }

    /// <summary>Trains as <paramref name="options"/> say.</summary>
    /// <param name="options">What to train on and how.</param>
    /// <param name="output">Where headings and summaries go.</param>
    /// <param name="observer">Receives per-step and per-epoch progress.</param>
    /// <param name="display">Shows the <c>--pretrained</c> download when the weights are not cached yet; null for plain lines on <paramref name="output"/>.</param>
    /// <param name="hub">Endpoint, cache, token and offline mode for timm's weights; null for huggingface_hub's environment variables.</param>
    /// <returns>Per-epoch metrics, the best checkpoint's evaluation and the output paths.</returns>
    /// <exception cref="ArgumentException">An option or the data folder is unusable.</exception>
    /// <exception cref="InvalidDataException">The data folder or a file in it is unusable.</exception>
    public static SegmentResult Run(SegmentOptions options, TextWriter output, ITrainingObserver observer, IDownloadDisplay? display = null,
        HubOptions? hub = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(observer);
        CheckInputs(options);
        var device = ComputeDevice.Parse(options.Device);
        // The data is checked before anything process-wide changes, so a bad folder leaves the process as it was.
        var clock = Stopwatch.StartNew();
        var folder = SegmentData.Scan(options.DataDirectory, options.ValFraction, options.Seed);
        if (folder.Train.Count < options.BatchSize)
            throw new ArgumentException($"--batch-size ({options.BatchSize}) is larger than the {folder.Train.Count} training images; lower it.", nameof(options));
        int previousThreads = get_num_threads();
        set_num_threads(options.TorchThreads);
        try
        {
            return Train(options, folder, output, observer, device, display ?? new PlainDownloadDisplay(output), hub, clock);
        }
        finally
        {
            set_num_threads(previousThreads);
        }
    }

    /// <summary>The dtype of the training forward: <c>auto</c> is bfloat16 on CUDA (mixed precision) and float32 on the CPU.</summary>
    /// <param name="precision">The <c>--precision</c> value.</param>
    /// <param name="device">The training device.</param>
    /// <returns>The dtype.</returns>
    public static ScalarType ComputeType(string precision, Device device) => precision switch
    {
        "fp32" => ScalarType.Float32,
        "bf16" => ScalarType.BFloat16,
        "fp16" => ScalarType.Float16,
        _ => device.type == DeviceType.CUDA ? ScalarType.BFloat16 : ScalarType.Float32,
    };

    /// <summary>Throws for bad options (a model without weights from the <c>--pretrained</c> source among them), an unknown model and missing files, before any download or native call.</summary>
    private static void CheckInputs(SegmentOptions options)
    {
        options.Validate();
        if (options.ResumePath is { } resume && !File.Exists(resume))
            throw new ArgumentException($"Checkpoint to resume not found: {resume}.", nameof(options));
    }

    private static SegmentResult Train(SegmentOptions options, SegmentationFolder folder, TextWriter output, ITrainingObserver observer, Device device,
        IDownloadDisplay display, HubOptions? hub, Stopwatch clock)
    {
        var classes = folder.Classes;
        string split = folder.HasValFolder ? "val folder" : Invariant($"{options.ValFraction:0.##} held out");
        output.WriteLine($"Data: {folder.Train.Count} training and {folder.Val.Count} validation images of {classes.Count} classes ({string.Join(", ", classes)}) in {options.DataDirectory} ({split}).");
        if (folder.MasksWithoutImage.Count > 0)
            output.WriteLine($"Left out {folder.MasksWithoutImage.Count} mask(s) without an image, such as {folder.MasksWithoutImage[0]}.");

        int baseSize = options.BaseSizeInEffect, cropSize = options.CropSizeInEffect;
        var dtype = ComputeType(options.Precision, device);
        SegmentationModel CreateModel() => SegmentModelFactory.Create(options.Model, classes.Count, options.DropPathRate);
        // Fetched before the model is built, so a missing or unreachable file fails at once (the live display has fetched it already).
        string? pretrained = options.Pretrained
            ? SegmentPretrained.Fetch(options.Model, options.PretrainedSourceInEffect, display, hub)
            : null;
        manual_seed(options.Seed);
        using var model = CreateModel();
        if (pretrained is not null)
            output.WriteLine(SegmentPretrained.Load(model, options.Model, classes.Count, options.PretrainedSourceInEffect, pretrained, hub));
        model.to(device);
        output.WriteLine(Invariant($"Model: {options.Model}, {model.parameters().Sum(p => p.numel()):N0} parameters, crops {cropSize}x{cropSize}, base size {baseSize}, {options.Optimizer} lr {options.PeakLearningRate:G3} {options.Schedule}, {(options.EmaDecay > 0 ? "EMA " + options.EmaDecay.ToString(CultureInfo.InvariantCulture) : "no EMA")}, {dtype} on {device.type}."));
        using var ema = options.EmaDecay > 0 ? new ModelEma<SegmentationModel>(model, CreateModel, new EmaOptions(Decay: options.EmaDecay, UseWarmup: true)) : null;

        var metadata = new Dictionary<string, string>
        {
            [CheckpointKeys.Model] = options.Model,
            [CheckpointKeys.Classes] = string.Join("\n", classes),
            [CheckpointKeys.BaseSize] = baseSize.ToString(CultureInfo.InvariantCulture),
            [CheckpointKeys.CropSize] = cropSize.ToString(CultureInfo.InvariantCulture),
            [CheckpointKeys.Weights] = ema is null ? "model" : "ema",
        };
        if (options.ResumePath is { } weightsToResume)
        {
            CheckResumable(weightsToResume, metadata);
            // The float32 weights first, so that a mixed-precision step takes its masters from them.
            TrainingCheckpoint.LoadWeights(weightsToResume, model);
        }
        using var trainer = new TrainingStep(model, CreateModel, dtype, groups => options.Optimizer == "sgd"
            ? groups.CreateSgd(options.PeakLearningRate, options.WeightDecay, momentum: 0.9)
            : groups.CreateAdamW(options.PeakLearningRate, options.WeightDecay), options.AuxWeight);

        Directory.CreateDirectory(options.OutputDirectory);
        File.WriteAllLines(Path.Combine(options.OutputDirectory, SegmentationFolder.ClassFileName), classes);
        string metricsPath = Path.Combine(options.OutputDirectory, "metrics.csv");
        var position = new CheckpointPosition(0, 0, -1, 0);
        var rows = new List<EpochMetrics>();
        if (options.ResumePath is { } resume)
        {
            position = TrainingCheckpoint.Load(resume, model, trainer.Optimizer, ema?.Module);
            rows = EpochMetrics.ReadAll(metricsPath, classes).Where(r => r.Epoch <= position.Epoch).ToList();
            output.WriteLine(Invariant($"Resumed from {resume} after epoch {position.Epoch} (best validation mIoU {position.BestMetric:0.0%} at epoch {position.BestEpoch})."));
        }

        var transform = new JointTransform(baseSize, cropSize, ImagePreprocessor.ImageNetMean, ImagePreprocessor.ImageNetStd, options.MinScale, options.MaxScale);
        var trainLoader = PairBatches.Create(folder.Train, transform.Apply, options.BatchSize, shuffle: true, options.Seed, options.Workers);
        var valLoader = PairBatches.Create(folder.Val, (image, mask, _) => transform.Evaluate(image, mask), options.BatchSize, shuffle: false,
            options.Seed, options.Workers);
        int steps = trainLoader.BatchCount;
        var schedule = LearningRates.For(options, steps);

        var loop = new EpochLoop<SegmentationModel, SegmentationPair, EpochMetrics>
        {
            Model = model,
            Optimizer = trainer.Optimizer,
            Ema = ema,
            TrainBatches = trainLoader,
            LearningRate = schedule,
            Step = (images, masks) =>
            {
                var (loss, predicted) = trainer.Run(images, masks);
                var valid = masks.ne(Ignore);
                return new StepOutcome(loss, predicted.eq(masks).logical_and_(valid).sum(), valid.sum());
            },
            Evaluate = training =>
            {
                var val = Evaluation.Run(model, valLoader, classes.Count, device);
                var emaVal = ema is null ? null : Evaluation.Run(ema.Module, valLoader, classes.Count, device);
                var row = new EpochMetrics(training.Epoch, training.Loss, training.Accuracy, val.Loss, val.Scores.PixelAccuracy, val.Scores.MeanIoU,
                    emaVal?.Scores.PixelAccuracy ?? double.NaN, emaVal?.Scores.MeanIoU ?? double.NaN, training.LearningRate, training.ImagesPerSecond,
                    training.Clock.Elapsed.TotalSeconds, val.Scores.ClassIoU);
                string note = Invariant($"val mIoU {val.Scores.MeanIoU:0.0%} pixel acc {val.Scores.PixelAccuracy:0.0%}") +
                    (emaVal is null ? "" : Invariant($"  EMA mIoU {emaVal.Scores.MeanIoU:0.0%}"));
                return new EpochResult<EpochMetrics>(row, (emaVal ?? val).Scores.MeanIoU, note);
            },
            WriteMetrics = all =>
            {
                EpochMetrics.WriteAll(metricsPath, classes, all);
                Charts.SaveTraining(Path.Combine(options.OutputDirectory, "training.png"), all);
            },
            OutputDirectory = options.OutputDirectory,
            Metadata = metadata,
            Observer = observer,
            Device = device,
        };
        position = loop.Run(position, rows, options.Epochs);

        var (best, overlays) = Finish(options, folder, valLoader, device, ema is not null);
        var result = new SegmentResult(classes, folder.Train.Count, folder.Val.Count, rows, position.BestEpoch, ema is not null, best,
            options.OutputDirectory, clock.Elapsed) { OnnxPath = options.ExportOnnx ? options.OnnxFile : null, Overlays = overlays };
        output.WriteLine(Invariant($"Best: epoch {result.BestEpoch}, validation mIoU {best.Scores.MeanIoU:0.0%}, pixel accuracy {best.Scores.PixelAccuracy:0.0%} ({(result.BestFromEma ? "EMA" : "trained")} weights)."));
        output.WriteLine("IoU per class: " + string.Join(", ", classes.Select((c, i) => Invariant($"{c} {best.Scores.ClassIoU[i]:0.0%}"))) + ".");
        output.WriteLine($"Wrote {result.BestCheckpoint}, {result.LastCheckpoint}, {result.MetricsPath}, {result.TrainingChartPath}, {result.IouChartPath}, {overlays.Count} overlays in {Path.Combine(options.OutputDirectory, "overlays")}.");
        if (result.OnnxPath is { } onnx)
            output.WriteLine($"ONNX: {onnx} (best checkpoint's {(result.BestFromEma ? "EMA" : "trained")} weights, any image size, {classes.Count} classes).");
        output.WriteLine(Invariant($"Time: {clock.Elapsed.TotalSeconds:0.0} s."));
        return result;
    }

    /// <summary>
    /// Reloads the best checkpoint into a fresh model, evaluates it, draws its per-class IoU and the validation overlays,
    /// and, when asked, exports it as ONNX.
    /// </summary>
    private static (EvaluationResult Best, IReadOnlyList<string> Overlays) Finish(SegmentOptions options, SegmentationFolder folder,
        BatchLoader<SegmentationPair> valLoader, Device device, bool fromEma)
    {
        var classes = folder.Classes;
        using var best = SegmentModelFactory.Create(options.Model, classes.Count, dropPathRate: 0);
        var position = TrainingCheckpoint.LoadWeights(SegmentResult.BestPath(options.OutputDirectory), best, fromEma);
        best.to(device);
        var evaluation = Evaluation.Run(best, valLoader, classes.Count, device);
        Charts.SaveClassIoU(Path.Combine(options.OutputDirectory, "iou.png"), evaluation.Scores.ClassIoU, classes,
            Invariant($"Best (epoch {position.BestEpoch}): mIoU {evaluation.Scores.MeanIoU:0.0%}, pixel accuracy {evaluation.Scores.PixelAccuracy:0.0%}"));

        var overlays = new List<string>();
        string overlayFolder = Path.Combine(options.OutputDirectory, "overlays");
        Directory.CreateDirectory(overlayFolder);
        using (var segmenter = Segmenter.ForModel(best, classes, options.BaseSizeInEffect, device))
        {
            foreach (var pair in folder.Val.Take(options.Overlays))
            {
                using var scope = NewDisposeScope();
                var image = DecodedImage.LoadRgb(pair.Image);
                var truth = MaskPng.Read(pair.Mask);
                string path = Path.Combine(overlayFolder, Path.GetFileNameWithoutExtension(pair.Image) + ".png");
                Overlay.Save(path, truth.Width, truth.Height, image.data<byte>().ToArray(),
                    new (string, byte[]?)[] { ("image", null), ("prediction", segmenter.Predict(image)), ("ground truth", truth.Indices) }, classes);
                overlays.Add(path);
            }
        }

        if (options.ExportOnnx)
        {
            string path = options.OnnxFile;
            if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } onnxFolder)
            {
                Directory.CreateDirectory(onnxFolder);
                File.WriteAllLines(Path.Combine(onnxFolder, SegmentationFolder.ClassFileName), classes);
            }
            best.to(CPU);
            // Any image size; the metadata carries the normalisation and the base size images are resized to.
            OnnxExporter.Export(best, path, new OnnxExportOptions
            {
                DynamicSpatialSize = true,
                Pretrained = new PretrainedConfig(null, options.BaseSizeInEffect, 1.0, Interpolation.Bilinear, ImagePreprocessor.ImageNetMean,
                    ImagePreprocessor.ImageNetStd, classes.Count),
            });
        }
        return (evaluation, overlays);
    }

    /// <summary>Segments <see cref="SegmentOptions.ImagePath"/> with <see cref="SegmentOptions.Model"/> and writes the overlay.</summary>
    private static void Predict(SegmentOptions options, TextWriter output)
    {
        var device = ComputeDevice.Parse(options.Device);
        using var segmenter = Segmenter.Open(options.Model, device);
        using var scope = NewDisposeScope();
        var image = DecodedImage.LoadRgb(options.ImagePath!);
        var classes = segmenter.Predict(image);
        int height = (int)image.shape[0], width = (int)image.shape[1];
        Overlay.Save(options.OverlayFile, width, height, image.data<byte>().ToArray(),
            new (string, byte[]?)[] { ("image", null), ("prediction", classes) }, segmenter.Classes);
        var shares = classes.GroupBy(c => c).OrderBy(g => g.Key)
            .Select(g => Invariant($"{(g.Key < segmenter.Classes.Count ? segmenter.Classes[g.Key] : g.Key.ToString(CultureInfo.InvariantCulture))} {(double)g.Count() / classes.Length:0.0%}"));
        output.WriteLine($"{options.ImagePath}: {string.Join(", ", shares)} of the pixels ({segmenter.Engine}, {options.Model}).");
        output.WriteLine($"Wrote {options.OverlayFile}.");
    }

    private static void CheckResumable(string path, IReadOnlyDictionary<string, string> expected)
    {
        var found = TrainingCheckpoint.ReadMetadata(path);
        foreach (var key in new[] { CheckpointKeys.Model, CheckpointKeys.Classes, CheckpointKeys.BaseSize, CheckpointKeys.CropSize, CheckpointKeys.Weights })
        {
            string have = found.TryGetValue(key, out var value) ? value : "(absent)";
            if (have != expected[key])
                throw new ArgumentException(
                    $"{path} was trained with {key} '{have.Replace("\n", ", ", StringComparison.Ordinal)}', but this run has '{expected[key].Replace("\n", ", ", StringComparison.Ordinal)}'; resume with the same data and --model, --base-size, --crop-size and --ema-decay.",
                    nameof(path));
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
