using System.Runtime.CompilerServices;
using ResNeStBlocks.Runtime;

namespace ResNeStBlocks.Tests.Support;

internal static class TestRuntime
{
    /// <summary>
    /// Before any test runs: make sure float32 CPU convolutions are correct on this machine (oneDNN's
    /// AVX kernels are wrong on some CPUs; see <see cref="NativeRuntime"/>).
    /// </summary>
    [ModuleInitializer]
    internal static void Initialize() => NativeRuntime.VerifyCpuConvolution();
}
