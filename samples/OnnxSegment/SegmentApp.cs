using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using ResNeStBlocks.Samples.OnnxImages;

namespace ResNeStBlocks.Samples.OnnxSegment;

/// <summary>The command line: segment one image with an exported model and write the overlay (and optionally the mask) as PNG.</summary>
public static class SegmentApp
{
    /// <summary>The command-line help.</summary>
    public const string Usage =
        "usage: OnnxSegment MODEL.onnx IMAGE [--out OVERLAY.png] [--mask MASK.png] [--alpha 0.5]\n" +
        "  --out    the image with each class's colour blended in (default: IMAGE's name + .overlay.png, here)\n" +
        "  --mask   also write the bare mask, each pixel in its class's colour (VOC colour map)\n" +
        "  --alpha  the colours' weight in the overlay, 0 to 1 (default 0.5)";

    /// <summary>Runs the command line; returns 0, or 2 for a bad command line, file or model.</summary>
    public static int Execute(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        try
        {
            var positional = new List<string>();
            string? overlayPath = null, maskPath = null;
            double alpha = 0.5;
            for (int i = 0; i < args.Count; i++)
            {
                string Next() => i + 1 < args.Count ? args[++i] : throw new FormatException($"{args[i]} needs a value.");
                switch (args[i])
                {
                    case "--out": overlayPath = Next(); break;
                    case "--mask": maskPath = Next(); break;
                    case "--alpha": alpha = double.Parse(Next(), NumberStyles.Float, CultureInfo.InvariantCulture); break;
                    case "--help" or "-h": output.WriteLine(Usage); return 0;
                    case var flag when flag.StartsWith("--", StringComparison.Ordinal): throw new FormatException($"Unknown option '{flag}'.");
                    default: positional.Add(args[i]); break;
                }
            }
            if (positional.Count != 2)
                throw new FormatException($"Expected MODEL.onnx and IMAGE, got {positional.Count} arguments.");
            if (!(alpha >= 0 && alpha <= 1))
                throw new FormatException($"--alpha must be in [0, 1], got {alpha.ToString(CultureInfo.InvariantCulture)}.");
            string modelPath = positional[0], imagePath = positional[1];
            if (!File.Exists(modelPath))
                throw new FileNotFoundException($"Model file not found: {modelPath}", modelPath);
            overlayPath ??= Path.GetFileNameWithoutExtension(imagePath) + ".overlay.png";
            Run(modelPath, imagePath, overlayPath, maskPath, alpha, output);
            return 0;
        }
        catch (Exception e) when (e is FormatException or FileNotFoundException or InvalidDataException or KeyNotFoundException
                                     or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            error.WriteLine($"error: {e.Message}");
            if (e is FormatException)
                error.WriteLine(Usage);
            return 2;
        }
    }

    private static void Run(string modelPath, string imagePath, string overlayPath, string? maskPath, double alpha, TextWriter output)
    {
        using var segmenter = new OnnxImageSegmenter(modelPath);
        var (image, mask) = segmenter.Segment(imagePath);
        PngFile.WriteRgb(overlayPath, SegmentationOverlay.Blend(image.Data, mask, alpha), mask.Height, mask.Width);
        output.WriteLine($"{Path.GetFileName(imagePath)} ({mask.Width}x{mask.Height}), {segmenter.NumClasses} classes, " +
            (segmenter.TakesAnySize ? $"whole image, shorter side resized to {segmenter.Preprocessor.ResizeSize}" : $"center crop {segmenter.Preprocessor.InputSize}"));
        foreach (var (classIndex, share) in mask.Shares())
            output.WriteLine($"  {share * 100,6:F1}%  {VocPalette.Name(classIndex, segmenter.NumClasses)}");
        output.WriteLine($"overlay: {overlayPath}");
        if (maskPath is not null)
        {
            PngFile.WriteRgb(maskPath, SegmentationOverlay.Colours(mask), mask.Height, mask.Width);
            output.WriteLine($"mask: {maskPath}");
        }
    }
}
