using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using ResNeStBlocks.Detection.Models;
using ResNeStBlocks.Evaluation;
using ResNeStBlocks.Samples.CommandLine;
using ResNeStBlocks.Samples.Progress;
using ResNeStBlocks.Samples.Training;
using ResNeStBlocks.Training;
using ResNeStBlocks.Vision;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.Detect;

/// <summary>The sample's commands: write the demo, train (and export), or detect on one image.</summary>
public static class DetectApp
{
    /// <summary>Runs the command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="output">Standard output.</param>
    /// <param name="error">Standard error.</param>
    /// <param name="live">Show live progress bars when the console allows it.</param>
    /// <returns>The exit code: 0, or <see cref="CommandLineErrors.ExitCode"/> for a user error.</returns>
    public static int Execute(IReadOnlyList<string> args, TextWriter output, TextWriter error, bool live = false)
    {
        DetectOptions? options;
        try
        {
            options = DetectOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            return CommandLineErrors.Report(e, error);
        }
        if (options is null)
        {
            output.WriteLine(DetectOptions.Usage);
            return 0;
        }
        int threads = get_num_threads();
        if (options.Threads is { } wanted)
            set_num_threads(wanted);
        try
        {
            if (options.MakeDemoData is { } demo)
            {
                DemoShapes.Write(demo, options.DemoTrainImages, options.DemoValImages, options.Seed);
                output.WriteLine($"Wrote {options.DemoTrainImages} training and {options.DemoValImages} validation images of {string.Join(", ", DemoShapes.Classes)} to {demo} (COCO layout: annotations/instances_train.json, instances_val.json).");
                return 0;
            }
            if (options.PredictImage is not null)
            {
                Predict(options, output);
                return 0;
            }
            Train(options, output, live);
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or CocoFormatException or VocFormatException or FileNotFoundException or InvalidDataException or DirectoryNotFoundException)
        {
            return CommandLineErrors.Report(e, error, pointToHelp: e is ArgumentException);
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    /// <summary>Trains on the data folder, then exports when asked.</summary>
    /// <param name="options">The options.</param>
    /// <param name="output">Where the summary goes.</param>
    /// <param name="live">Live progress when the console allows it.</param>
    /// <returns>The run's figures.</returns>
    public static DetectResult Train(DetectOptions options, TextWriter output, bool live = false)
    {
        var data = DetectionData.Open(options.DataDirectory, options.ValFraction, options.Seed);
        DetectResult Run(TextWriter writer, ITrainingObserver observer) => new DetectTrainer(options, data, writer, observer).Run();
        var result = live ? ProgressDisplay.Run(Run) : Run(output, new PlainTextObserver(output));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Best epoch {result.BestEpoch}: AP {result.BestAP:0.000}, AP50 {result.BestAP50:0.000} ({result.Elapsed.TotalSeconds:0} s). Outputs in {options.OutputDirectory}: metrics.csv, training-curves.png, precision-recall.png, overlays.png, best.safetensors, last.safetensors."));
        if (options.ExportOnnx)
        {
            using var model = LoadCheckpoint(CheckpointFiles.Best(options.OutputDirectory), out _);
            DetectExport.Export(model, data.Classes.Names, options.OnnxFile);
            output.WriteLine($"Exported the best checkpoint to {options.OnnxFile}.");
        }
        return result;
    }

    /// <summary>Builds the model a checkpoint was written for and loads its weights (the EMA's when the run kept one).</summary>
    /// <param name="path">The checkpoint.</param>
    /// <param name="classes">Its class names by label.</param>
    /// <returns>The model, in eval mode.</returns>
    public static Detector LoadCheckpoint(string path, out ClassTable classes)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"--checkpoint: no file at {path}; train first, or give a best.safetensors or last.safetensors.", path);
        var metadata = TrainingCheckpoint.ReadMetadata(path);
        if (!metadata.TryGetValue("model", out var name) || !metadata.TryGetValue("classes", out var names))
            throw new InvalidDataException($"--checkpoint: {path} is not a checkpoint of this sample (it lacks the model and classes entries).");
        classes = new ClassTable(names.Split('\n'));
        var detection = DetectModelFactory.Options(name, int.Parse(metadata["min_size"], CultureInfo.InvariantCulture), int.Parse(metadata["max_size"], CultureInfo.InvariantCulture));
        var model = DetectModelFactory.Create(name, classes.Count, detection);
        bool ema = metadata.TryGetValue("ema", out var decay) && double.Parse(decay, CultureInfo.InvariantCulture) > 0;
        TrainingCheckpoint.LoadWeights(path, model, fromEma: ema);
        model.eval();
        return model;
    }

    /// <summary>Detects on one image with a checkpoint: prints the detections and writes the drawing.</summary>
    /// <param name="options">The options.</param>
    /// <param name="output">Where the detections are printed.</param>
    /// <returns>The detections at or above the threshold.</returns>
    public static HostDetections Predict(DetectOptions options, TextWriter output)
    {
        string image = options.PredictImage!;
        if (!File.Exists(image))
            throw new FileNotFoundException($"--predict: no file at {image}.", image);
        using var model = LoadCheckpoint(options.Checkpoint!, out var classes);
        HostDetections found;
        using (var scope = NewDisposeScope())
            found = HostDetections.From(model.Detect(new[] { DetectionData.LoadImage(image) })[0]);
        var kept = Enumerable.Range(0, found.Scores.Length).Where(k => found.Scores[k] >= options.ScoreThreshold).ToArray();
        var result = new HostDetections(Rows(found.Boxes, kept), kept.Select(k => found.Scores[k]).ToArray(), kept.Select(k => found.Labels[k]).ToArray());
        foreach (int k in Enumerable.Range(0, result.Scores.Length))
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{classes.Names[(int)result.Labels[k]],-16} {result.Scores[k]:0.000}  [{result.Boxes[k, 0]:0.0}, {result.Boxes[k, 1]:0.0}, {result.Boxes[k, 2]:0.0}, {result.Boxes[k, 3]:0.0}]"));
        Directory.CreateDirectory(options.OutputDirectory);
        string drawing = Path.Combine(options.OutputDirectory, "prediction.png");
        using (var probe = SkiaSharp.SKBitmap.Decode(image))
        using (var bitmap = DetectOutputs.Draw(image, Enumerable.Range(0, result.Scores.Length).Select(k => new[] { result.Boxes[k, 0], result.Boxes[k, 1], result.Boxes[k, 2], result.Boxes[k, 3] }).ToArray(),
                   result.Labels, result.Scores, classes.Names, Math.Max(1, 256f / Math.Max(probe.Width, probe.Height))))
            DetectOutputs.SavePng(bitmap, drawing);
        output.WriteLine($"{result.Scores.Length} detection(s) at score >= {options.ScoreThreshold.ToString(CultureInfo.InvariantCulture)}; drawn in {drawing}.");
        return result;
    }

    private static float[,] Rows(float[,] boxes, int[] kept)
    {
        var rows = new float[kept.Length, 4];
        for (int i = 0; i < kept.Length; i++)
            for (int j = 0; j < 4; j++)
                rows[i, j] = boxes[kept[i], j];
        return rows;
    }
}
