using System;
using static TorchSharp.torch;

namespace ResNeStBlocks.Runtime;

/// <summary>The GPU switches this library records and sets: cuDNN's autotuner and TensorFloat-32 math.</summary>
/// <param name="CudnnBenchmark">Whether cuDNN times several convolution algorithms per new shape and keeps the fastest; null when the switch cannot be reached.</param>
/// <param name="ConvolutionTf32">Whether cuDNN convolutions may round float32 inputs to TF32 on Ampere and newer GPUs.</param>
/// <param name="MatmulTf32">Whether cuBLAS matrix products (the classifier) may use TF32.</param>
public sealed record CudaSettingsState(bool? CudnnBenchmark, bool ConvolutionTf32, bool MatmulTf32);

/// <summary>
/// libtorch's process-wide GPU speed switches, which PyTorch users know as <c>torch.backends.cudnn.benchmark</c>,
/// <c>torch.backends.cudnn.allow_tf32</c> and <c>torch.backends.cuda.matmul.allow_tf32</c>. Nothing here changes
/// unless called: libtorch's defaults stay (benchmark off, TF32 on for convolutions, off for matrix products).
/// </summary>
/// <remarks>
/// <para>The switches live in libtorch's global context and exist in the CPU build too, where they are simply
/// unused, so they can be set and read on any machine. TorchSharp 0.107 exposes the two TF32 switches; the cuDNN
/// benchmark switch is reached through libtorch's exported <c>at::Context</c> accessors, like
/// <see cref="NativeRuntime.SetOneDnnEnabled"/>.</para>
/// <para>cuDNN benchmark mode pays off when input shapes repeat (fixed batch and image size): the first call per
/// shape is slower, the rest use the fastest algorithm. TF32 speeds float32 convolutions and matrix products on
/// Ampere and newer GPUs at about 1e-3 relative precision; turn it off to compare GPU and CPU outputs at 1e-4.</para>
/// </remarks>
public static class CudaSettings
{
    /// <summary>The switches as they are now.</summary>
    public static CudaSettingsState Current => new(CudnnBenchmark, ConvolutionTf32, MatmulTf32);

    /// <summary>Whether cuDNN benchmark mode is on; <c>null</c> when the switch cannot be reached on this platform.</summary>
    public static bool? CudnnBenchmark => LibTorchContext.CudnnBenchmark.Value;

    /// <summary>Whether cuDNN convolutions may use TF32.</summary>
    public static bool ConvolutionTf32 => backends.cudnn.allow_tf32;

    /// <summary>Whether cuBLAS matrix products may use TF32.</summary>
    public static bool MatmulTf32 => backends.cuda.matmul.allow_tf32;

    /// <summary>Turns cuDNN benchmark mode on or off for the whole process (PyTorch <c>torch.backends.cudnn.benchmark</c>).</summary>
    /// <param name="enabled">Whether cuDNN may time and pick convolution algorithms per input shape.</param>
    /// <returns>False when the switch cannot be reached on this platform (nothing changed).</returns>
    public static bool SetCudnnBenchmark(bool enabled) => LibTorchContext.CudnnBenchmark.TrySet(enabled);

    /// <summary>Allows or forbids TF32 in cuDNN convolutions (PyTorch <c>torch.backends.cudnn.allow_tf32</c>).</summary>
    /// <param name="allowed">Whether TF32 may be used.</param>
    public static void SetConvolutionTf32(bool allowed) => backends.cudnn.allow_tf32 = allowed;

    /// <summary>Allows or forbids TF32 in cuBLAS matrix products (PyTorch <c>torch.backends.cuda.matmul.allow_tf32</c>).</summary>
    /// <param name="allowed">Whether TF32 may be used.</param>
    public static void SetMatmulTf32(bool allowed) => backends.cuda.matmul.allow_tf32 = allowed;

    /// <summary>
    /// Sets the given switches (those left null keep their value) until the returned scope is disposed, which puts
    /// back every switch as it was.
    /// </summary>
    /// <param name="cudnnBenchmark">cuDNN benchmark mode, or null to leave it.</param>
    /// <param name="tf32">TF32 for both convolutions and matrix products, or null to leave them.</param>
    /// <returns>A scope that restores the previous settings.</returns>
    public static IDisposable Use(bool? cudnnBenchmark = null, bool? tf32 = null)
    {
        var previous = Current;
        try
        {
            if (cudnnBenchmark is { } benchmark)
                SetCudnnBenchmark(benchmark);
            if (tf32 is { } allowed)
            {
                SetConvolutionTf32(allowed);
                SetMatmulTf32(allowed);
            }
        }
        catch
        {
            Restore(previous);
            throw;
        }
        return new RestoreScope(previous);
    }

    /// <summary>Puts every switch back to <paramref name="state"/> (a switch recorded as null is left alone).</summary>
    /// <param name="state">Settings taken earlier from <see cref="Current"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="state"/> is null.</exception>
    public static void Restore(CudaSettingsState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.CudnnBenchmark is { } benchmark)
            SetCudnnBenchmark(benchmark);
        SetConvolutionTf32(state.ConvolutionTf32);
        SetMatmulTf32(state.MatmulTf32);
    }

    private sealed class RestoreScope(CudaSettingsState previous) : IDisposable
    {
        private bool disposed;

        public void Dispose()
        {
            if (disposed)
                return;
            disposed = true;
            Restore(previous);
        }
    }
}
