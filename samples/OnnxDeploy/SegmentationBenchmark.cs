using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Inference;
using ResNeStBlocks.Weights;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.OnnxDeploy;

/// <summary>
/// A segmentation model on the CPU, batch 1: ONNX Runtime against the library's TorchSharp forward (eval, inference
/// mode, BatchNorm folded) on the same weights, 2 threads each. Time: alternating runs in one process, so both see the
/// same machine load. Peak memory: one process per engine (<see cref="MemoryProbe"/>).
/// </summary>
public static class SegmentationBenchmark
{
    private const int Threads = 2;
    private const int ProbeRuns = 2;

    /// <summary>Times and measures <paramref name="model"/> (unfolded; folded here) and its ONNX file at <paramref name="size"/> x <paramref name="size"/>.</summary>
    public static void Run(SegmentationModel model, string onnxPath, int size, int rounds, TextWriter output)
    {
        string loadBefore = LoadAverage();
        string weightsPath = Path.Combine(Path.GetTempPath(), $"segmentation-benchmark-{Environment.ProcessId}.safetensors");
        model.SaveWeights(weightsPath);
        try
        {
            var (ortTimes, torchTimes, difference) = Time(model, onnxPath, size, rounds);
            var ortMemory = MemoryProbe.Measure("ort", onnxPath, weightsPath, size, ProbeRuns, Threads);
            var torchMemory = MemoryProbe.Measure("torch", onnxPath, weightsPath, size, ProbeRuns, Threads);

            output.WriteLine($"CPU benchmark: {SegmentationDeploy.ModelName} (output stride {model.OutputStride}, no auxiliary head), batch 1, {size}x{size}, " +
                $"{Threads} threads each, median of {rounds} alternating runs");
            output.WriteLine("engine        median ms   min ms   resident after load MB   peak during forward MB");
            output.WriteLine(Row("ONNX Runtime", ortTimes, ortMemory));
            output.WriteLine(Row("TorchSharp", torchTimes, torchMemory));
            output.WriteLine($"TorchSharp / ORT: time {Timing.Median(torchTimes) / Timing.Median(ortTimes):F2}, peak memory {torchMemory.PeakMegabytes / ortMemory.PeakMegabytes:F2}; " +
                $"outputs max |diff| {difference:E1}");
            output.WriteLine($"load average (1, 5, 15 min) before: {loadBefore}; after: {LoadAverage()}; {Environment.ProcessorCount} cores");
        }
        finally
        {
            File.Delete(weightsPath);
        }
    }

    private static (List<double> Ort, List<double> Torch, double MaxDifference) Time(SegmentationModel model, string onnxPath, int size, int rounds)
    {
        set_num_threads(Threads);
        model.eval();
        model.FoldBatchNorm();
        using var session = BenchmarkSession.Open(onnxPath, Threads);
        using var scope = NewDisposeScope();
        var input = randn(new long[] { 1, 3, size, size }, generator: new Generator(1));
        var data = input.data<float>().ToArray();
        using var value = OrtValue.CreateTensorValueFromMemory(data, input.shape);
        using var runOptions = new RunOptions();
        float[] OrtLogits()
        {
            using var results = session.Run(runOptions, new[] { "input" }, new[] { value }, new[] { SegmentationModel.OutName });
            return results[0].GetTensorDataAsSpan<float>().ToArray();
        }
        float[] TorchLogits()
        {
            using var inner = NewDisposeScope();
            using var _ = inference_mode();
            return model.call(input).data<float>().ToArray();
        }

        float[] ortLogits = OrtLogits(), torchLogits = TorchLogits();   // warm-up
        var ortTimes = new List<double>();
        var torchTimes = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            ortTimes.Add(Timing.Milliseconds(() => ortLogits = OrtLogits()));
            torchTimes.Add(Timing.Milliseconds(() => torchLogits = TorchLogits()));
        }
        return (ortTimes, torchTimes, ortLogits.Zip(torchLogits, (a, b) => Math.Abs(a - b)).Max());
    }

    private static string Row(string engine, List<double> times, EngineMemory memory) =>
        $"{engine,-12}  {Timing.Median(times),9:F0}  {times.Min(),7:F0}  {memory.LoadedMegabytes,23:F0}  {memory.PeakMegabytes,23:F0}";

    /// <summary>The 1, 5 and 15 minute load averages, for the benchmarks' reports.</summary>
    internal static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}
