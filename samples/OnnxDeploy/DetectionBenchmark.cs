using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using ResNeStBlocks.Detection.Models;
using ResNeStBlocks.Onnx;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.OnnxDeploy;

/// <summary>
/// A detector on the CPU, one 800 x 1066 image: ONNX Runtime against the library's <see cref="Detector.Detect"/> on the
/// same weights, 2 threads each, alternating runs in one process so both see the same machine load. The workload is
/// DetectorBenchmarks' and pytorch_detection_reference.py's (torchvision's initialisation after seed 0, then a uniform
/// random image), so the three engines' numbers can be read side by side.
/// </summary>
public static class DetectionBenchmark
{
    private const int Threads = 2;

    /// <summary>Exports <paramref name="name"/> to a temporary file and times both engines <paramref name="rounds"/> times after a warm-up.</summary>
    public static void Run(string name, int rounds, TextWriter output)
    {
        string loadBefore = SegmentationBenchmark.LoadAverage();
        set_num_threads(Threads);
        manual_seed(0);
        using var model = DetectionModels.Create(name);
        model.eval();
        using var image = rand(3, 800, 1066);
        string onnxPath = Path.Combine(Path.GetTempPath(), $"detection-benchmark-{Environment.ProcessId}.onnx");
        OnnxExporter.Export(model, onnxPath);
        try
        {
            using var session = BenchmarkSession.Open(onnxPath, Threads);
            var pixels = image.data<float>().ToArray();
            using var value = OrtValue.CreateTensorValueFromMemory(pixels, new long[] { 1, 3, 800, 1066 });
            using var runOptions = new RunOptions();
            long OrtDetections()
            {
                using var results = session.Run(runOptions, new[] { OnnxExporter.InputName }, new[] { value }, session.OutputNames);
                return results[0].GetTensorTypeAndShape().Shape[0];
            }
            long TorchDetections()
            {
                var found = model.Detect(new[] { image });
                long count = found[0].Scores.shape[0];
                foreach (var detections in found)
                    detections.Dispose();
                return count;
            }

            long ortCount = OrtDetections(), torchCount = TorchDetections();   // warm-up
            var ortTimes = new List<double>();
            var torchTimes = new List<double>();
            for (int r = 0; r < rounds; r++)
            {
                ortTimes.Add(Timing.Milliseconds(() => ortCount = OrtDetections()));
                torchTimes.Add(Timing.Milliseconds(() => torchCount = TorchDetections()));
            }

            output.WriteLine($"CPU benchmark: {name} Detect, one 800x1066 image, {Threads} threads each, median of {rounds} alternating runs");
            output.WriteLine($"ONNX Runtime  median {Timing.Median(ortTimes),9:F0} ms  min {ortTimes.Min(),9:F0} ms  {ortCount} detections");
            output.WriteLine($"TorchSharp    median {Timing.Median(torchTimes),9:F0} ms  min {torchTimes.Min(),9:F0} ms  {torchCount} detections");
            output.WriteLine($"TorchSharp / ORT: time {Timing.Median(torchTimes) / Timing.Median(ortTimes):F2}");
            output.WriteLine($"load average (1, 5, 15 min) before: {loadBefore}; after: {SegmentationBenchmark.LoadAverage()}; {Environment.ProcessorCount} cores");
        }
        finally
        {
            File.Delete(onnxPath);
        }
    }
}
