using System.Text.Json.Serialization;

namespace ResNeStBlocks.Benchmarks.Measure;

/// <summary>One line of the <c>measure</c> command's output.</summary>
public sealed record Measurement(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("mode")] string Mode,
    [property: JsonPropertyName("device")] string Device,
    [property: JsonPropertyName("dtype")] string DType,
    [property: JsonPropertyName("batch")] int Batch,
    [property: JsonPropertyName("size")] int Size,
    [property: JsonPropertyName("img_per_s")] double ImagesPerSecond,
    [property: JsonPropertyName("ms_per_step")] double MillisecondsPerStep,
    [property: JsonPropertyName("ms_min")] double MillisecondsMin,
    [property: JsonPropertyName("iters")] int Iterations,
    [property: JsonPropertyName("peak_memory_mb")] double? PeakMemoryMegabytes,
    [property: JsonPropertyName("peak_memory_kind")] string PeakMemoryKind,
    [property: JsonPropertyName("threads")] int Threads);
