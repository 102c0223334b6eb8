using FluentAssertions;
using ResNeStBlocks.Runtime;
using ResNeStBlocks.Tests.Support;
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
    }

    [LinuxFact("the oneDNN switch is read from the Linux libtorch build's exported symbols")]
    public void The_oneDnn_switch_is_reachable_on_linux()
    {
        // Reading only: toggling it here would race with tests running in parallel.
        NativeRuntime.OneDnnEnabled.Should().NotBeNull();
    }

    [Fact]
    public void A_26_channel_strided_convolution_matches_float64()
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        var input = randn(2, 26, 8, 8);
        var weight = randn(26, 26, 3, 3);
        var single = nn.functional.conv2d(input, weight, null, new long[] { 2, 2 }, new long[] { 1, 1 });
        var reference = nn.functional.conv2d(input.to(ScalarType.Float64), weight.to(ScalarType.Float64), null, new long[] { 2, 2 }, new long[] { 1, 1 });
        (single.to(ScalarType.Float64) - reference).abs().max().item<double>().Should().BeLessThan(1e-3);
    }
}
