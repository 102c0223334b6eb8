using ResNeStBlocks.Runtime;

namespace ResNeStBlocks.Benchmarks.Runtime;

/// <summary>Process set-up every benchmark and measurement performs before touching a model.</summary>
public static class BenchmarkRuntime
{
    /// <summary>
    /// Checks CPU convolutions (turning oneDNN off where it is wrong, as every program must) and turns
    /// NNPACK off (see <see cref="NnpackSwitch"/>). Idempotent.
    /// </summary>
    public static CpuConvolutionReport PrepareCpu()
    {
        var report = NativeRuntime.VerifyCpuConvolution();
        NnpackSwitch.TryDisable();
        return report;
    }
}
