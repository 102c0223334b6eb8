using System;
using FluentAssertions;
using ResNeStBlocks.Layers;
using ResNeStBlocks.Runtime;
using ResNeStBlocks.Testing;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Runtime;

public class NativeRuntimeTests
{
    [Fact]
    public void Float32_convolutions_are_correct_after_verification()
    {
        var report = NativeRuntime.VerifyCpuConvolution();
        report.Correct.Should().BeTrue($"max error {report.MaxErrorAfter:E2} must be within {NativeRuntime.ConvolutionTolerance}");
        NativeRuntime.VerifyCpuConvolution().Should().BeSameAs(report);
        NativeRuntime.CpuConvolutionCheck.Should().BeSameAs(report);
    }

    [Fact]
    public void The_automatic_check_is_on_unless_the_environment_turns_it_off()
    {
        bool expected = Environment.GetEnvironmentVariable(NativeRuntime.SkipCpuCheckVariable) is not ("1" or "true");
        NativeRuntime.AutomaticCpuCheck.Should().Be(expected);
        NativeRuntime.SkipCpuCheckVariable.Should().Be("RESNESTBLOCKS_SKIP_CPU_CHECK");
    }

    [LinuxFact("libc10's logging threshold is read from the Linux libtorch build's exported symbols")]
    public void Asking_for_NNPACK_quietly_leaves_libtorchs_logging_threshold_as_it_was()
    {
        int? before = LibTorchContext.C10LogThreshold;
        before.Should().NotBeNull();

        LibTorchContext.NnpackAvailableQuietly().Should().Be(LibTorchContext.NnpackAvailable());

        LibTorchContext.C10LogThreshold.Should().Be(before);
    }

    [LinuxFact("the oneDNN switch is read from the Linux libtorch build's exported symbols")]
    public void The_oneDnn_switch_is_reachable_on_linux()
    {
        // Reading only: toggling it here would race with tests running in parallel.
        NativeRuntime.OneDnnEnabled.Should().NotBeNull();
    }

    [Fact]
    public void After_a_library_layer_is_built_a_26_channel_strided_convolution_matches_float64()
    {
        using var scope = NewDisposeScope();
        using var layer = new ConvNormAct(26, 26, 3);   // runs the automatic check, if nothing in this process has yet
        NativeRuntime.CpuConvolutionCheck.Should().NotBeNull();
        var generator = new Generator(7);
        var input = randn(new long[] { 2, 26, 8, 8 }, generator: generator);
        var weight = randn(new long[] { 26, 26, 3, 3 }, generator: generator);
        var single = nn.functional.conv2d(input, weight, null, new long[] { 2, 2 }, new long[] { 1, 1 });
        var reference = nn.functional.conv2d(input.to(ScalarType.Float64), weight.to(ScalarType.Float64), null, new long[] { 2, 2 }, new long[] { 1, 1 });
        (single.to(ScalarType.Float64) - reference).abs().max().item<double>().Should().BeLessThan(1e-3);
    }
}
