using System;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Runtime;

/// <summary>What <see cref="NativeRuntime.VerifyCpuConvolution"/> found and did.</summary>
/// <param name="MaxErrorWithOneDnn">Largest deviation of the float32 convolution from a float64 reference with oneDNN as configured (NaN when not measured).</param>
/// <param name="OneDnnDisabled">Whether oneDNN was switched off because it computed wrong results.</param>
/// <param name="MaxErrorAfter">Largest deviation after the decision.</param>
/// <param name="NnpackDisabled">Whether NNPACK was switched off too, because this CPU cannot run it (libtorch would otherwise try it, and log a warning, on every small convolution).</param>
public sealed record CpuConvolutionReport(double MaxErrorWithOneDnn, bool OneDnnDisabled, double MaxErrorAfter, bool NnpackDisabled = false)
{
    /// <summary>Whether float32 convolutions are now correct.</summary>
    public bool Correct => MaxErrorAfter <= NativeRuntime.ConvolutionTolerance;
}

/// <summary>
/// Process-wide settings of the native libtorch runtime that affect this library's numbers.
/// </summary>
/// <remarks>
/// On some x86-64 machines (seen on an AMD EPYC with AVX-512 under virtualisation, libtorch 2.10 with
/// oneDNN 3.7.1) oneDNN's AVX and AVX-512 float32 convolution kernels return wrong values when a
/// channel count is not a multiple of 16 (for example the 26-channel splits of Res2Net), and run several
/// times slower than libtorch's own kernels. <see cref="VerifyCpuConvolution"/> detects this with one
/// small convolution and, only then, turns oneDNN off for the process. The library runs it by itself the first
/// time one of its modules is created (see <see cref="AutomaticCpuCheck"/>); calling it explicitly works too.
/// </remarks>
public static partial class NativeRuntime
{
    /// <summary>Largest deviation from a float64 reference that counts as correct for the probe convolution.</summary>
    public const double ConvolutionTolerance = 1e-3;

    private static readonly object Gate = new();
    private static CpuConvolutionReport? verified;

    /// <summary>Whether libtorch uses oneDNN for CPU operators; <c>null</c> when the switch cannot be reached on this platform.</summary>
    public static bool? OneDnnEnabled => LibTorchContext.OneDnn.Value;

    /// <summary>Whether libtorch may use NNPACK for CPU convolutions; <c>null</c> when the switch cannot be reached on this platform.</summary>
    public static bool? NnpackEnabled => LibTorchContext.Nnpack.Value;

    /// <summary>Turns libtorch's use of oneDNN on the CPU on or off for the whole process (PyTorch <c>torch.backends.mkldnn.enabled</c>).</summary>
    /// <param name="enabled">Whether oneDNN may be used.</param>
    /// <returns>False when the switch cannot be reached on this platform (nothing changed).</returns>
    public static bool SetOneDnnEnabled(bool enabled) => LibTorchContext.OneDnn.TrySet(enabled);

    /// <summary>Turns libtorch's use of NNPACK for CPU convolutions on or off (PyTorch <c>torch.backends.nnpack.enabled</c>).</summary>
    /// <param name="enabled">Whether NNPACK may be used.</param>
    /// <returns>False when the switch cannot be reached on this platform (nothing changed).</returns>
    public static bool SetNnpackEnabled(bool enabled) => LibTorchContext.Nnpack.TrySet(enabled);

    /// <summary>
    /// Checks once per process that float32 CPU convolutions agree with a float64 reference, and turns
    /// oneDNN off when they do not. Later calls return the first result.
    /// </summary>
    /// <returns>The measurement and the decision.</returns>
    /// <exception cref="NativeRuntimeUnavailableException">libtorch cannot be loaded on this machine (see <see cref="EnsureLoaded"/>).</exception>
    public static CpuConvolutionReport VerifyCpuConvolution()
    {
        EnsureLoaded();
        lock (Gate)
        {
            if (verified is not null)
                return verified;
            // The float64 reference convolution never uses oneDNN; keep it off NNPACK too, so that a CPU
            // without NNPACK support does not log a warning for the probe itself.
            bool? nnpack = LibTorchContext.Nnpack.Value;
            LibTorchContext.Nnpack.TrySet(false);
            double before, after;
            bool disabled = false;
            try
            {
                before = ProbeError();
                after = before;
                if (!(before <= ConvolutionTolerance) && LibTorchContext.OneDnn.TrySet(false))
                {
                    disabled = true;
                    after = ProbeError();
                }
            }
            finally
            {
                if (nnpack is { } wasEnabled)
                    LibTorchContext.Nnpack.TrySet(wasEnabled);
            }
            // NNPACK initialises on the first question about it and, on a CPU it cannot use, logs a warning then: ask
            // once now with that warning silenced, so that no later convolution prints it. Without oneDNN, libtorch
            // would try NNPACK for every eligible convolution; switch it off where it cannot run.
            bool nnpackAvailable = LibTorchContext.NnpackAvailableQuietly() != false;
            bool nnpackDisabled = disabled && nnpack == true && !nnpackAvailable && LibTorchContext.Nnpack.TrySet(false);
            verified = new CpuConvolutionReport(before, disabled, after, nnpackDisabled);
            return verified;
        }
    }

    /// <summary>Largest deviation of one float32 CPU convolution from its float64 reference, as libtorch is configured now.</summary>
    internal static double ProbeError()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(20201, CPU);
        // 26 channels and an 8x8 map: a shape the faulty kernels get wrong, and cheap. The probe is about the CPU,
        // so its tensors say so, whatever the process's default device and dtype are.
        var input = rand(new long[] { 2, 26, 8, 8 }, ScalarType.Float32, CPU, generator: generator).sub_(HeldScalars.Half);
        var weight = rand(new long[] { 26, 26, 3, 3 }, ScalarType.Float32, CPU, generator: generator).sub_(HeldScalars.Half);
        var single = nn.functional.conv2d(input, weight, null, new long[] { 2, 2 }, new long[] { 1, 1 });
        var reference = nn.functional.conv2d(input.to(ScalarType.Float64), weight.to(ScalarType.Float64), null, new long[] { 2, 2 }, new long[] { 1, 1 });
        return (single.to(ScalarType.Float64) - reference).abs().max().item<double>();
    }
}
