using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using static TorchSharp.torch;

namespace ResNeStBlocks.Benchmarks.Measure;

/// <summary>Arguments of the <c>measure</c> command; <c>--model</c> and <c>--batch</c> take comma-separated lists.</summary>
public sealed record MeasureOptions(
    IReadOnlyList<string> Models, string Device, string DType, IReadOnlyList<int> Batches, int? Size, string Mode,
    int Warmup, int Iterations, int? Threads, bool? CudnnBenchmark = null, bool? Tf32 = null, bool ChannelsLast = false, int Rounds = 1, bool KeepFreedMemory = false)
{
    public const string Usage =
        "measure --model resnest50d[,resnest101e] [--device cpu|cuda[:i]] [--dtype fp32|bf16|fp16] [--batch 1[,8]]\n" +
        "        [--size 224 (default: the model's pretrained size)] [--mode inference|train] [--warmup 3 (at least 1)]\n" +
        "        [--iters 10] [--rounds 1] [--threads N] [--cudnn-benchmark on|off] [--tf32 on|off] [--channels-last on|off]\n" +
        "        [--keep-freed-memory on|off (GlibcAllocator.KeepFreedMemory before the model is built; default off)]";

    public ScalarType ScalarType => DType switch
    {
        "fp32" => ScalarType.Float32,
        "bf16" => ScalarType.BFloat16,
        "fp16" => ScalarType.Float16,
        _ => throw new ArgumentException($"--dtype must be fp32, bf16 or fp16, got '{DType}'."),
    };

    public bool Training => Mode switch
    {
        "inference" => false,
        "train" => true,
        _ => throw new ArgumentException($"--mode must be inference or train, got '{Mode}'."),
    };

    /// <summary>Parses the arguments after <c>measure</c>.</summary>
    public static MeasureOptions Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Count; i++)
        {
            string key = args[i];
            if (key.StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Count)
                values[key[2..]] = args[++i];
            else
                throw new ArgumentException($"Unexpected argument '{key}'.\nUsage: {Usage}");
        }
        string Get(string key, string fallback) => values.Remove(key, out var v) ? v : fallback;
        int Int(string text, string key) => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v > 0
            ? v : throw new ArgumentException($"--{key} must be a positive integer, got '{text}'.");
        bool? Switch(string key) => values.ContainsKey(key)
            ? Get(key, "") switch
            {
                "on" => true,
                "off" => false,
                var other => throw new ArgumentException($"--{key} must be on or off, got '{other}'."),
            }
            : null;
        string warmup = Get("warmup", "3");
        var options = new MeasureOptions(
            Get("model", "resnest50d").Split(',', StringSplitOptions.RemoveEmptyEntries),
            Get("device", "cpu"),
            Get("dtype", "fp32"),
            Get("batch", "1").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(b => Int(b, "batch")).ToArray(),
            values.ContainsKey("size") ? Int(Get("size", ""), "size") : null,
            Get("mode", "inference"),
            // The first steps pay for cuDNN's algorithm search, allocator growth and lazy initialisation: never time them.
            int.TryParse(warmup, NumberStyles.None, CultureInfo.InvariantCulture, out int w) && w >= 1 ? w
                : throw new ArgumentException($"--warmup must be at least 1 (the first step is never timed), got '{warmup}'."),
            Int(Get("iters", "10"), "iters"),
            values.ContainsKey("threads") ? Int(Get("threads", ""), "threads") : null,
            Switch("cudnn-benchmark"),
            Switch("tf32"),
            Switch("channels-last") ?? false,
            values.ContainsKey("rounds") ? Int(Get("rounds", ""), "rounds") : 1,
            Switch("keep-freed-memory") ?? false);
        if (values.Count > 0)
            throw new ArgumentException($"Unknown option(s): {string.Join(", ", values.Keys.Select(k => "--" + k))}.\nUsage: {Usage}");
        _ = options.ScalarType;
        _ = options.Training;
        return options;
    }
}
