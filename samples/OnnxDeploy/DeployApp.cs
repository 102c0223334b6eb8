using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using ResNeStBlocks.Detection.Models;
using ResNeStBlocks.Onnx;
using ResNeStBlocks.Runtime;
using ResNeStBlocks.Samples.OnnxClassify;
using ResNeStBlocks.Zoo;

namespace ResNeStBlocks.Samples.OnnxDeploy;

/// <summary>
/// Exports ResNeSt-50 to ONNX with TorchSharp, then classifies an image with the torch-free code of OnnxClassify
/// (ONNX Runtime + preprocessing from the file's metadata); optionally benchmarks ONNX Runtime against TorchSharp.
/// With <c>--segmentation</c>, the same for DeepLabV3 on ResNeSt-50 and OnnxSegment (<see cref="SegmentationDeploy"/>).
/// </summary>
public static class DeployApp
{
    private const string Model = "resnest50d";

    /// <summary>The command-line help.</summary>
    public const string Usage =
        "usage: OnnxDeploy [--segmentation] [--weights FILE] [--image IMAGE] [--out FILE.onnx] [--benchmark] [--rounds N] [--size S]\n" +
        "       OnnxDeploy --detection-benchmark NAME [--rounds N]\n" +
        "  --segmentation  DeepLabV3 on ResNeSt-50 (deeplabv3_resnest50d, output stride 8) instead of the ResNeSt-50 classifier:\n" +
        "                  segment the image with OnnxSegment's code and write IMAGE.overlay.png\n" +
        "  --weights       the model's weights (timm/resnest50d.in1k's model.safetensors, or a checkpoint with the segmentation\n" +
        "                  model's keys); without them the weights are random\n" +
        "  --image         image to classify or segment (default: data/chelsea.png)\n" +
        "  --out           where to write the ONNX file (default: the model's name + .onnx in the current directory)\n" +
        "  --benchmark     time ONNX Runtime against TorchSharp on the CPU, 2 threads each: the classifier at batch 1 and 8,\n" +
        "                  224x224; the segmentation model at batch 1, S x S, with each engine's peak memory\n" +
        "  --rounds        timed runs per engine in the benchmark (default 10)\n" +
        "  --size          the segmentation benchmark's image side (default 512)\n" +
        "  --detection-benchmark  time a detector (a DetectionModels name, torchvision's initialisation after seed 0) on one\n" +
        "                  800x1066 image: ONNX Runtime against TorchSharp's Detect, 2 threads each";

    /// <summary>Runs the command line; returns 0, or 2 for a bad command line or file.</summary>
    public static int Execute(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        // A child process of the segmentation benchmark: one engine's peak memory.
        if (args.Count == 7 && args[0] == MemoryProbe.Flag)
            return MemoryProbe.Run(args[1], args[2], args[3], int.Parse(args[4], CultureInfo.InvariantCulture),
                int.Parse(args[5], CultureInfo.InvariantCulture), int.Parse(args[6], CultureInfo.InvariantCulture), output);
        string? weights = null, image = null, outPath = null;
        string? detectionBenchmark = null;
        bool benchmark = false, segmentation = false;
        int rounds = 10, size = 512;
        try
        {
            for (int i = 0; i < args.Count; i++)
            {
                string Next() => i + 1 < args.Count ? args[++i] : throw new FormatException($"{args[i]} needs a value.");
                switch (args[i])
                {
                    case "--weights": weights = Next(); break;
                    case "--image": image = Next(); break;
                    case "--out": outPath = Next(); break;
                    case "--benchmark": benchmark = true; break;
                    case "--rounds": rounds = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--segmentation": segmentation = true; break;
                    case "--detection-benchmark": detectionBenchmark = Next(); break;
                    case "--size": size = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--help" or "-h": output.WriteLine(Usage); return 0;
                    default: throw new FormatException($"Unknown argument '{args[i]}'.");
                }
            }
            if (rounds < 1 || size < 32)
                throw new FormatException($"--rounds must be at least 1 and --size at least 32, got {rounds} and {size}.");
            image ??= Path.Combine(AppContext.BaseDirectory, "data", "chelsea.png");
            if (detectionBenchmark is not null)
            {
                if (!DetectionModels.Names.Contains(detectionBenchmark))
                    throw new FormatException($"--detection-benchmark: unknown detector '{detectionBenchmark}'; known: {string.Join(", ", DetectionModels.Names)}.");
                DetectionBenchmark.Run(detectionBenchmark, rounds, output);
            }
            else if (segmentation)
                SegmentationDeploy.Run(weights, image, outPath ?? Path.GetFullPath(SegmentationDeploy.ModelName + ".onnx"), benchmark, size, rounds, output);
            else
                Run(weights, image, outPath ?? Path.GetFullPath(Model + ".onnx"), benchmark, rounds, output);
            return 0;
        }
        catch (Exception e) when (e is FormatException or FileNotFoundException or InvalidDataException or OverflowException)
        {
            error.WriteLine($"error: {e.Message}");
            error.WriteLine(Usage);
            return 2;
        }
    }

    private static void Run(string? weights, string image, string onnxPath, bool benchmark, int rounds, TextWriter output)
    {
        NativeRuntime.VerifyCpuConvolution();
        using var model = ModelZoo.Create(Model);
        if (weights is null)
            output.WriteLine("note: no --weights given, so ResNeSt-50 has random weights: the classes below are meaningless, the export and the ONNX Runtime run are real.");
        else if (!File.Exists(weights))
            throw new FileNotFoundException($"Weights file not found: {weights}. Download model.safetensors from timm/resnest50d.in1k.", weights);
        else
            model.LoadWeights(weights);
        model.eval();

        // 1. Export (TorchSharp side): the two lines a deployer needs.
        var options = new OnnxExportOptions { Pretrained = ModelZoo.Pretrained(Model) };
        OnnxExporter.Export(model, onnxPath, options);
        output.WriteLine($"exported {onnxPath} ({new FileInfo(onnxPath).Length / 1e6:F1} MB, opset {OnnxExporter.OpsetVersion})");

        // 2. Deploy (torch-free side): ONNX Runtime and the preprocessing recorded in the file.
        using (var classifier = new OnnxImageClassifier(onnxPath))
        {
            output.WriteLine($"{Path.GetFileName(image)}, top 5 (ONNX Runtime):");
            foreach (var p in classifier.Classify(image))
                output.WriteLine($"  {p.Probability,8:P2}  class {p.ClassIndex}");
        }

        if (benchmark)
            CpuBenchmark.Run(model, onnxPath, rounds, output);
    }
}
