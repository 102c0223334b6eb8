using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Inference;
using ResNeStBlocks.Weights;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.OnnxDeploy;

/// <summary>One engine's memory, measured in a process of its own (see <see cref="MemoryProbe"/>).</summary>
/// <param name="LoadedMegabytes">Resident set after the model is loaded, before the first forward (VmRSS).</param>
/// <param name="PeakMegabytes">Highest resident set while the forwards ran (VmHWM, reset after loading).</param>
public sealed record EngineMemory(double LoadedMegabytes, double PeakMegabytes);

/// <summary>
/// Peak memory per engine: a child process loads one engine only (TorchSharp or ONNX Runtime), notes its resident set,
/// resets the kernel's high-water mark (<c>/proc/self/clear_refs</c>), runs the forward a few times and reports the
/// high-water mark. One engine per process, so neither's memory (weights, arenas, cached buffers) counts for the other.
/// </summary>
public static class MemoryProbe
{
    /// <summary>The flag that makes the sample a probe: <c>--memory-probe torch|ort MODEL WEIGHTS SIZE RUNS</c>.</summary>
    public const string Flag = "--memory-probe";

    /// <summary>Runs a probe in a child process of this sample and parses its report.</summary>
    public static EngineMemory Measure(string engine, string onnxPath, string weightsPath, int size, int runs, int threads)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("The process path is unknown, so a probe cannot be started.");
        start.FileName = host;
        // Under "dotnet OnnxDeploy.dll" the host is dotnet itself: name the assembly.
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
            start.ArgumentList.Add(typeof(MemoryProbe).Assembly.Location);
        foreach (string arg in new[] { Flag, engine, onnxPath, weightsPath, Text(size), Text(runs), Text(threads) })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {host}.");
        var errors = process.StandardError.ReadToEndAsync();
        string report = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"The {engine} memory probe failed ({process.ExitCode}): {errors.Result}");
        var fields = report.Trim().Split(' ').Select(part => part.Split('=')).ToDictionary(kv => kv[0], kv => double.Parse(kv[1], CultureInfo.InvariantCulture));
        return new EngineMemory(fields["loaded_mb"], fields["peak_mb"]);
    }

    /// <summary>The child's side: loads one engine, runs it, prints <c>loaded_mb=... peak_mb=...</c>.</summary>
    public static int Run(string engine, string onnxPath, string weightsPath, int size, int runs, int threads, TextWriter output)
    {
        var shape = new long[] { 1, 3, size, size };
        var pixels = new float[size * size * 3];
        for (int i = 0; i < pixels.Length; i++)
            pixels[i] = (i % 255) / 255f;
        Action forward;
        IDisposable owner;
        if (engine == "ort")
        {
            var session = BenchmarkSession.Open(onnxPath, threads);
            var input = OrtValue.CreateTensorValueFromMemory(pixels, shape);
            owner = new Owned(session, input);
            forward = () =>
            {
                using var runOptions = new RunOptions();
                using var results = session.Run(runOptions, new[] { "input" }, new[] { input }, new[] { SegmentationModel.OutName });
            };
        }
        else
        {
            set_num_threads(threads);
            var model = SegmentationModels.Create(SegmentationDeploy.ModelName, auxLoss: false);
            model.LoadWeights(weightsPath);
            model.eval();
            model.FoldBatchNorm();
            var input = tensor(pixels, shape);
            owner = new Owned(model, input);
            forward = () =>
            {
                using var scope = NewDisposeScope();
                using var _ = inference_mode();
                model.call(input);
            };
        }
        using (owner)
        {
            double loaded = ProcStatus("VmRSS");
            ResetPeak();
            for (int i = 0; i < runs; i++)
                forward();
            output.WriteLine($"loaded_mb={Text(loaded)} peak_mb={Text(ProcStatus("VmHWM"))}");
        }
        return 0;
    }

    /// <summary>A field of <c>/proc/self/status</c> in MiB.</summary>
    private static double ProcStatus(string field)
    {
        string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
    }

    /// <summary>Resets VmHWM to the current resident set (Linux 4.0+), so the peak covers the forwards only.</summary>
    private static void ResetPeak() => File.WriteAllText("/proc/self/clear_refs", "5");

    private static string Text(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private sealed class Owned : IDisposable
    {
        private readonly IDisposable[] items;

        public Owned(params IDisposable[] items) => this.items = items;

        public void Dispose()
        {
            foreach (var item in items)
                item.Dispose();
        }
    }
}
