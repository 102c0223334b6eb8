using System;
using FluentAssertions;
using ResNeStBlocks.Runtime;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Tests.Devices;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Runtime;

/// <summary>The GPU switches live in libtorch's global context, which the CPU build has too: they can be set and read here.</summary>
[Collection(IsolatedCollection.Name)]
public class CudaSettingsTests
{
    [Fact]
    public void Each_switch_reads_back_what_was_set_and_the_scope_restores_all()
    {
        var original = CudaSettings.Current;
        original.CudnnBenchmark.Should().NotBeNull("at::Context's cuDNN accessors are exported by libtorch_cpu");
        try
        {
            foreach (bool value in new[] { true, false, true })
            {
                CudaSettings.SetCudnnBenchmark(value).Should().BeTrue();
                CudaSettings.SetConvolutionTf32(!value);
                CudaSettings.SetMatmulTf32(value);
                CudaSettings.Current.Should().Be(new CudaSettingsState(value, !value, value));
            }
            using (CudaSettings.Use(cudnnBenchmark: false, tf32: false))
                CudaSettings.Current.Should().Be(new CudaSettingsState(false, false, false));
            CudaSettings.Current.Should().Be(new CudaSettingsState(true, false, true), "the scope puts back what was there");
            using (CudaSettings.Use(tf32: true))
                CudaSettings.Current.Should().Be(new CudaSettingsState(true, true, true), "a null argument leaves its switch");
        }
        finally
        {
            CudaSettings.Restore(original);
        }
        CudaSettings.Current.Should().Be(original);
    }

    [Fact]
    public void The_cpu_convolution_probe_ignores_the_default_device_and_dtype()
    {
        double expected = NativeRuntime.ProbeError();
        double onMeta = double.NaN, inDouble = double.NaN;
        DefaultPlacement.WithDevice(DefaultPlacement.Meta, () => onMeta = NativeRuntime.ProbeError());
        DefaultPlacement.WithDType(ScalarType.Float64, () => inDouble = NativeRuntime.ProbeError());
        onMeta.Should().Be(expected);
        inDouble.Should().Be(expected);
        expected.Should().BeLessThan(NativeRuntime.ConvolutionTolerance);
    }
}
