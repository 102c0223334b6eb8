using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Inference;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.OnnxDeploy;

/// <summary>
/// ONNX Runtime against the library's TorchSharp eager forward on the same weights, on the CPU with 2 threads each,
/// alternating run by run in one process so both see the same machine load.
/// </summary>
public static class CpuBenchmark
{
    private const int Threads = 2;

    /// <summary>Times batch 1 and 8 at 224x224 and prints the median milliseconds and the ratio.</summary>
    /// <param name="model">The exported model (BatchNorm is folded in place here, the library's own inference path).</param>
    /// <param name="onnxPath">Its ONNX file.</param>
    /// <param name="rounds">Timed runs per engine and batch.</param>
    /// <param name="output">Where the table goes.</param>
    public static void Run(ResNet model, string onnxPath, int rounds, TextWriter output)
    {
        set_num_threads(Threads);
        model.eval();
        InferencePreparation.FoldBatchNorm(model);
        using var session = BenchmarkSession.Open(onnxPath, Threads);
        output.WriteLine($"CPU benchmark: ONNX Runtime vs TorchSharp eager (BatchNorm folded), {Threads} threads, 224x224, median of {rounds} alternating runs");
        output.WriteLine("batch  ORT ms  TorchSharp ms  TorchSharp/ORT  max|diff|");
        foreach (int batch in new[] { 1, 8 })
        {
            using var scope = NewDisposeScope();
            var input = randn(batch, 3, 224, 224, generator: new Generator(1));
            var data = input.data<float>().ToArray();
            using var value = OrtValue.CreateTensorValueFromMemory(data, input.shape);
            using var runOptions = new RunOptions();
            float[] OrtLogits()
            {
                using var results = session.Run(runOptions, new[] { "input" }, new[] { value }, new[] { "logits" });
                return results[0].GetTensorDataAsSpan<float>().ToArray();
            }
            float[] TorchLogits()
            {
                using var inner = NewDisposeScope();
                using var _ = inference_mode();
                return model.call(input).data<float>().ToArray();
            }

            var ortTimes = new List<double>();
            var torchTimes = new List<double>();
            float[] ortLogits = OrtLogits(), torchLogits = TorchLogits(); // warm-up
            for (int r = 0; r < rounds; r++)
            {
                ortTimes.Add(Timing.Milliseconds(() => ortLogits = OrtLogits()));
                torchTimes.Add(Timing.Milliseconds(() => torchLogits = TorchLogits()));
            }
            double ort = Timing.Median(ortTimes), torchMs = Timing.Median(torchTimes);
            double maxDiff = ortLogits.Zip(torchLogits, (a, b) => Math.Abs(a - b)).Max();
            output.WriteLine($"{batch,5}  {ort,6:F1}  {torchMs,13:F1}  {torchMs / ort,14:F2}  {maxDiff,9:E1}");
        }
    }
}
