using ResNeStBlocks.Runtime;

namespace ResNeStBlocks.Benchmarks.Runtime;

/// <summary>Process set-up every benchmark and measurement performs before touching a model.</summary>
public static class BenchmarkRuntime
{
    /// <summary>
    /// Checks CPU convolutions: turns oneDNN off where it is wrong, and NNPACK off where the CPU cannot
    /// run it (it would otherwise be retried, and logged, on every small convolution). Idempotent.
    /// </summary>
    public static CpuConvolutionReport PrepareCpu() => NativeRuntime.VerifyCpuConvolution();
}
