using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using ResNeStBlocks.Benchmarks.Measure;
using ResNeStBlocks.Testing;
using Xunit;

namespace ResNeStBlocks.Samples.Tests;

/// <summary>The <c>measure</c> command's JSON lines; <c>pytorch_reference.py</c> prints the same fields in the same order.</summary>
/// <remarks>Run alone: the lines report libtorch's process-wide TF32 and cuDNN switches, which ShapeCheck's device check also sets.</remarks>
[Collection(IsolatedCollection.Name)]
public class MeasureTests
{
    private static readonly string[] Fields =
    {
        "implementation", "model", "mode", "device", "dtype", "batch", "size", "round", "img_per_s", "ms_per_step",
        "latency_ms_median", "latency_ms_min", "warmup", "iters", "cudnn_benchmark", "tf32", "matmul_tf32", "channels_last",
        "peak_memory_mb", "peak_memory_kind", "threads",
    };

    [Fact]
    public void Cpu_measurement_prints_the_extended_json_line_per_round()
    {
        var options = MeasureOptions.Parse(new[]
        {
            "--model", "resnest14d", "--size", "32", "--batch", "1", "--warmup", "1", "--iters", "2", "--rounds", "2",
            "--channels-last", "on", "--cudnn-benchmark", "off", "--tf32", "on",
        });
        var output = new StringWriter();
        MeasureCommand.Run(options, output).Should().Be(0);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().HaveCount(2);
        for (int round = 1; round <= 2; round++)
        {
            using var json = JsonDocument.Parse(lines[round - 1]);
            var line = json.RootElement;
            line.EnumerateObject().Select(p => p.Name).Should().Equal(Fields);
            line.GetProperty("implementation").GetString().Should().Be("ResNeStBlocks");
            line.GetProperty("device").GetString().Should().Be("cpu");
            line.GetProperty("dtype").GetString().Should().Be("fp32");
            line.GetProperty("round").GetInt32().Should().Be(round);
            line.GetProperty("warmup").GetInt32().Should().Be(1);
            line.GetProperty("iters").GetInt32().Should().Be(2);
            line.GetProperty("channels_last").GetBoolean().Should().BeTrue();
            line.GetProperty("cudnn_benchmark").GetBoolean().Should().BeFalse();
            line.GetProperty("tf32").GetBoolean().Should().BeTrue();
            line.GetProperty("peak_memory_kind").GetString().Should().Be("process peak working set");
            line.GetProperty("img_per_s").GetDouble().Should().BeGreaterThan(0);
            line.GetProperty("latency_ms_min").GetDouble().Should().BeLessOrEqualTo(line.GetProperty("latency_ms_median").GetDouble());
        }
    }

    [Fact]
    public void The_python_reference_prints_the_same_fields()
    {
        string script = File.ReadAllText(Path.Combine(Fixtures.Root, "..", "..", "samples", "Benchmarks", "pytorch_reference.py"));
        int start = script.IndexOf("    return {\n        \"implementation\"", StringComparison.Ordinal);
        start.Should().BeGreaterThan(0, "the script builds its JSON line in one dictionary");
        string body = script[start..script.IndexOf("    }\n", start, StringComparison.Ordinal)];
        var keys = body.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith('"')).Select(l => l[1..l.IndexOf('"', 1)]);
        keys.Should().Equal(Fields);
    }

    [Theory]
    [InlineData(new[] { "--warmup", "0" }, "--warmup must be at least 1 (the first step is never timed), got '0'.")]
    [InlineData(new[] { "--tf32", "yes" }, "--tf32 must be on or off, got 'yes'.")]
    [InlineData(new[] { "--channels-last", "1" }, "--channels-last must be on or off, got '1'.")]
    public void Bad_options_are_refused(string[] args, string message)
    {
        var act = () => MeasureOptions.Parse(args);
        act.Should().Throw<ArgumentException>().WithMessage(message);
    }

    [Fact]
    public void A_cuda_device_without_cuda_is_refused_before_any_model()
    {
        if (TorchSharp.torch.cuda.is_available())
            return;
        var act = () => MeasureCommand.Run(MeasureOptions.Parse(new[] { "--device", "cuda:1" }), new StringWriter());
        act.Should().Throw<ArgumentException>().WithMessage("The device 'cuda:1' cannot be used: CUDA is not available in this process.*");
    }
}
