using System.Text.Json.Serialization;

namespace ResNeStBlocks.Benchmarks.Measure;

/// <summary>
/// One line of the <c>measure</c> command's output; <c>pytorch_reference.py</c> prints the same fields, so both
/// can be read by one script.
/// </summary>
public sealed record Measurement(
    [property: JsonPropertyName("implementation")] string Implementation,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("mode")] string Mode,
    [property: JsonPropertyName("device")] string Device,
    [property: JsonPropertyName("dtype")] string DType,
    [property: JsonPropertyName("batch")] int Batch,
    [property: JsonPropertyName("size")] int Size,
    [property: JsonPropertyName("round")] int Round,
    [property: JsonPropertyName("img_per_s")] double ImagesPerSecond,
    [property: JsonPropertyName("ms_per_step")] double MillisecondsPerStep,
    [property: JsonPropertyName("latency_ms_median")] double LatencyMedian,
    [property: JsonPropertyName("latency_ms_min")] double LatencyMin,
    [property: JsonPropertyName("warmup")] int Warmup,
    [property: JsonPropertyName("iters")] int Iterations,
    [property: JsonPropertyName("cudnn_benchmark")] bool? CudnnBenchmark,
    [property: JsonPropertyName("tf32")] bool ConvolutionTf32,
    [property: JsonPropertyName("matmul_tf32")] bool MatmulTf32,
    [property: JsonPropertyName("channels_last")] bool ChannelsLast,
    [property: JsonPropertyName("peak_memory_mb")] double? PeakMemoryMegabytes,
    [property: JsonPropertyName("peak_memory_kind")] string PeakMemoryKind,
    [property: JsonPropertyName("threads")] int Threads);
