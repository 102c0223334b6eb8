using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using ResNeStBlocks.Onnx;
using ResNeStBlocks.Runtime;
using ResNeStBlocks.Samples.OnnxClassify;
using ResNeStBlocks.Zoo;

namespace ResNeStBlocks.Samples.OnnxDeploy;

/// <summary>
/// Exports ResNeSt-50 to ONNX with TorchSharp, then classifies an image with the torch-free code of OnnxClassify
/// (ONNX Runtime + preprocessing from the file's metadata); optionally benchmarks ONNX Runtime against TorchSharp.
/// </summary>
public static class DeployApp
{
    private const string Model = "resnest50d";

    /// <summary>The command-line help.</summary>
    public const string Usage =
        "usage: OnnxDeploy [--weights model.safetensors] [--image IMAGE] [--out resnest50d.onnx] [--benchmark] [--rounds N]\n" +
        "  --weights    timm's resnest50d weights (timm/resnest50d.in1k); without them the weights are random\n" +
        "  --image      image to classify (default: data/chelsea.png)\n" +
        "  --out        where to write the ONNX file (default: resnest50d.onnx in the current directory)\n" +
        "  --benchmark  time ONNX Runtime against TorchSharp on the CPU, batch 1 and 8, 2 threads\n" +
        "  --rounds     timed runs per engine and batch in the benchmark (default 10)";

    /// <summary>Runs the command line; returns 0, or 2 for a bad command line or file.</summary>
    public static int Execute(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        string? weights = null, image = null, outPath = null;
        bool benchmark = false;
        int rounds = 10;
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
                    case "--help" or "-h": output.WriteLine(Usage); return 0;
                    default: throw new FormatException($"Unknown argument '{args[i]}'.");
                }
            }
            Run(weights, image ?? Path.Combine(AppContext.BaseDirectory, "data", "chelsea.png"),
                outPath ?? Path.GetFullPath(Model + ".onnx"), benchmark, rounds, output);
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
