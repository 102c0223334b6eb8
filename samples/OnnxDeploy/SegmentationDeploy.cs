using System.IO;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Onnx;
using ResNeStBlocks.Runtime;
using ResNeStBlocks.Samples.OnnxSegment;
using ResNeStBlocks.Weights;

namespace ResNeStBlocks.Samples.OnnxDeploy;

/// <summary>
/// Exports DeepLabV3 on ResNeSt-50 (output stride 8) to ONNX with TorchSharp, then segments an image with the torch-free
/// code of OnnxSegment (ONNX Runtime + preprocessing from the file's metadata); optionally benchmarks ONNX Runtime
/// against TorchSharp at 512x512.
/// </summary>
public static class SegmentationDeploy
{
    /// <summary>The model exported and benchmarked.</summary>
    public const string ModelName = "deeplabv3_resnest50d";

    /// <summary>Runs export, segmentation and, when asked, the benchmark.</summary>
    public static void Run(string? weights, string image, string onnxPath, bool benchmark, int size, int rounds, TextWriter output)
    {
        var convolutions = NativeRuntime.VerifyCpuConvolution();
        // Deployment needs the main head only; the auxiliary head is for the training loss.
        using var model = SegmentationModels.Create(ModelName, auxLoss: false);
        if (weights is null)
            output.WriteLine($"note: no --weights given, so {ModelName} has random weights: the classes below are meaningless, the export and the ONNX Runtime run are real.");
        else if (!File.Exists(weights))
            throw new FileNotFoundException($"Weights file not found: {weights}. Give a checkpoint with {ModelName}'s keys (backbone.*, classifier.*).", weights);
        else
            model.LoadWeights(weights);
        model.eval();

        // 1. Export (TorchSharp side): any image size, torchvision's segmentation preprocessing in the metadata.
        var options = new OnnxExportOptions { Pretrained = SegmentationModels.Pretrained(ModelName), DynamicSpatialSize = true };
        OnnxExporter.Export(model, onnxPath, options);
        output.WriteLine($"exported {onnxPath} ({new FileInfo(onnxPath).Length / 1e6:F1} MB, opset {OnnxExporter.OpsetVersion})");

        // 2. Deploy (torch-free side): the code of samples/OnnxSegment.
        string overlay = Path.GetFileNameWithoutExtension(image) + ".overlay.png";
        int exit = SegmentApp.Execute(new[] { onnxPath, image, "--out", overlay }, output, output);
        if (exit != 0)
            throw new InvalidDataException($"OnnxSegment failed on {image} (exit code {exit}).");

        if (benchmark)
        {
            output.WriteLine($"TorchSharp's CPU convolutions: oneDNN {(convolutions.OneDnnDisabled ? "off (it computed wrong values on this CPU)" : "on")}");
            SegmentationBenchmark.Run(model, onnxPath, size, rounds, output);
        }
    }
}
