using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using Microsoft.ML.OnnxRuntime;
using ResNeStBlocks.Samples.CommandLine;
using ResNeStBlocks.Samples.OnnxImages;

namespace ResNeStBlocks.Samples.OnnxDetect;

/// <summary>The command line: detect objects in one image with an exported detector, print them and write the drawn image as PNG.</summary>
public static class DetectApp
{
    /// <summary>The command-line help.</summary>
    public const string Usage =
        "usage: OnnxDetect --model MODEL.onnx --image IMAGE [--output OUT.png] [--score-threshold 0.5]\n" +
        "Detects objects with a detector exported by ResNeStBlocks.Onnx (Faster R-CNN, and the other families as they export),\n" +
        "with ONNX Runtime only, prints each detection (label, score, box in pixels) and draws them.\n" +
        "  --model            the exported detector (.onnx); its class names are read from its metadata when it has them\n" +
        "  --image            the image (PNG, JPEG, BMP, TGA or GIF), at its own size: the model resizes it itself\n" +
        "  --output           the PNG to write: boxes, names and scores, and Mask R-CNN's masks as translucent fills\n" +
        "                     (default: IMAGE's name + .detections.png, in the current folder)\n" +
        "  --score-threshold  the lowest score printed and drawn, 0 to 1 (default 0.5)\n" +
        "  --help             this help";

    /// <summary>The parsed command line.</summary>
    /// <param name="Model">The .onnx file.</param>
    /// <param name="Image">The image file.</param>
    /// <param name="Output">The PNG to write, or null for the default.</param>
    /// <param name="ScoreThreshold">The lowest score kept.</param>
    public sealed record Options(string? Model = null, string? Image = null, string? Output = null, double ScoreThreshold = 0.5)
    {
        /// <summary>The PNG written: <see cref="Output"/>, or the image's name + <c>.detections.png</c> in the current folder.</summary>
        public string OutputPath => Output ?? Path.GetFileNameWithoutExtension(Image) + ".detections.png";
    }

    /// <summary>Reads the command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <returns>The options, or null when help was asked for.</returns>
    /// <exception cref="ArgumentException">An option is unknown, lacks its value, has a bad value, or a required one is missing.</exception>
    public static Options? Parse(IReadOnlyList<string> args)
    {
        var options = OptionValues.Parse(args, new Options(), new Dictionary<string, Func<Options, Options>>(),
            new Dictionary<string, Func<Options, string?, Options>>(), (options, name, value) => name switch
            {
                "--model" => options with { Model = value },
                "--image" => options with { Image = value },
                "--output" => options with { Output = value },
                "--score-threshold" => options with { ScoreThreshold = Threshold(value) },
                _ => throw new ArgumentException(
                    $"Unknown option '{name}'; OnnxDetect takes --model, --image, --output and --score-threshold.", nameof(args)),
            });
        if (options is null)
            return null;
        if (options.Model is null)
            throw new ArgumentException("--model MODEL.onnx is required: the detector exported with ResNeStBlocks.Onnx.", nameof(args));
        if (options.Image is null)
            throw new ArgumentException("--image IMAGE is required: the picture to detect objects in.", nameof(args));
        return options;
    }

    /// <summary>Runs the command line; returns 0, or <see cref="CommandLineErrors.ExitCode"/> for a bad command line, file or model.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="output">Where the detections go.</param>
    /// <param name="error">Where errors go.</param>
    /// <returns>The exit code.</returns>
    public static int Execute(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        try
        {
            var options = Parse(args);
            if (options is null)
            {
                output.WriteLine(Usage);
                return 0;
            }
            Run(options, output);
            return 0;
        }
        catch (ArgumentException e)
        {
            return CommandLineErrors.Report(e, error);
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException or OnnxRuntimeException)
        {
            // The command line was fine; the message names the file and what is wrong with it.
            return CommandLineErrors.Report(e, error, pointToHelp: false);
        }
    }

    private static void Run(Options options, TextWriter output)
    {
        using var detector = new OnnxImageDetector(options.Model!);
        var image = ImageFiles.Decode(options.Image!);
        var detections = detector.Detect(image, (float)options.ScoreThreshold);
        string threshold = options.ScoreThreshold.ToString("0.###", CultureInfo.InvariantCulture);
        output.WriteLine($"{Path.GetFileName(options.Image)} ({image.Width}x{image.Height}): {detections.Count} detection(s) with score >= {threshold}" +
            (detector.ClassNames is null ? " (the model has no class names: export it with OnnxExportOptions.ClassNames)" : ""));
        foreach (var d in detections)
            output.WriteLine(Line(detector.Name(d.Label), d));
        string path = options.OutputPath;
        PngFile.WriteRgb(path, DetectionPicture.Draw(image.Data, image.Height, image.Width, detections, detector.Name), image.Height, image.Width);
        output.WriteLine($"wrote {path}");
    }

    /// <summary>One printed detection: name, score and box (x1, y1, x2, y2) in pixels, such as <c>  person  0.98  (12.50, 40.00) - (80.25, 150.75)</c>.</summary>
    /// <param name="name">The label's name.</param>
    /// <param name="detection">The detection.</param>
    /// <returns>The line.</returns>
    public static string Line(string name, DetectedObject detection) => string.Create(CultureInfo.InvariantCulture,
        $"  {name}  {detection.Score:0.00}  ({detection.X1:0.00}, {detection.Y1:0.00}) - ({detection.X2:0.00}, {detection.Y2:0.00})");

    private static double Threshold(string value)
    {
        double threshold = OptionValues.Number("--score-threshold", value);
        return threshold is >= 0 and <= 1 ? threshold
            : throw new ArgumentException($"--score-threshold must be from 0 to 1, got '{value}'.", nameof(value));
    }
}
