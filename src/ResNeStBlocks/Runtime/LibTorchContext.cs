using System;
using System.Runtime.InteropServices;

namespace ResNeStBlocks.Runtime;

/// <summary>
/// Reaches libtorch's process-wide backend switches on <c>at::globalContext()</c>, which TorchSharp 0.107
/// does not expose: the oneDNN (MKL-DNN) and NNPACK flags that PyTorch calls
/// <c>torch.backends.mkldnn.enabled</c> and <c>torch.backends.nnpack.enabled</c>.
/// </summary>
internal static unsafe class LibTorchContext
{
    /// <summary>The handle of the libtorch copy TorchSharp loaded; zero when it cannot be found.</summary>
    internal static IntPtr Handle => Library.Value;

    private static readonly Lazy<IntPtr> Library = new(LoadLibrary);

    public static readonly ContextFlag OneDnn = new("Mkldnn", "_ZNK2at7Context17userEnabledMkldnnEv", "_ZN2at7Context20setUserEnabledMkldnnEb",
        "?userEnabledMkldnn@Context@at@@QEBA_NXZ", "?setUserEnabledMkldnn@Context@at@@QEAAX_N@Z");

    public static readonly ContextFlag CudnnBenchmark = new("cuDNN benchmark", "_ZNK2at7Context14benchmarkCuDNNEv", "_ZN2at7Context17setBenchmarkCuDNNEb",
        "?benchmarkCuDNN@Context@at@@QEBA_NXZ", "?setBenchmarkCuDNN@Context@at@@QEAAX_N@Z");

    public static readonly ContextFlag Nnpack = new("NNPACK", "_ZNK2at7Context17userEnabledNNPACKEv", "_ZN2at7Context20setUserEnabledNNPACKEb",
        "?userEnabledNNPACK@Context@at@@QEBA_NXZ", "?setUserEnabledNNPACK@Context@at@@QEAAX_N@Z");

    /// <summary>Whether NNPACK can run on this CPU (<c>at::native::_nnpack_available</c>); null when unreachable.</summary>
    public static bool? NnpackAvailable()
    {
        var f = Export("_ZN2at6native17_nnpack_availableEv", "?_nnpack_available@native@at@@YA_NXZ");
        return f == IntPtr.Zero ? null : ((delegate* unmanaged<byte>)f)() != 0;
    }

    /// <summary>
    /// <see cref="NnpackAvailable"/> with libtorch's logging raised to errors for the call. NNPACK initialises once
    /// per process, on the first question, and on a CPU it cannot use logs "Could not initialize NNPACK! Reason:
    /// Unsupported hardware." to stderr: a line nobody can act on, which would otherwise appear in every program's output.
    /// </summary>
    public static bool? NnpackAvailableQuietly()
    {
        var level = C10LogLevel.Value;
        if (level == IntPtr.Zero)
            return NnpackAvailable();
        int* threshold = (int*)level;
        int saved = *threshold;
        *threshold = C10ErrorSeverity;
        try
        {
            return NnpackAvailable();
        }
        finally
        {
            *threshold = saved;
        }
    }

    /// <summary>c10's logging threshold (<c>FLAGS_caffe2_log_level</c>: 0 info, 1 warning, 2 error); null when unreachable.</summary>
    internal static int? C10LogThreshold => C10LogLevel.Value == IntPtr.Zero ? null : *(int*)C10LogLevel.Value;

    // c10's logging threshold (FLAGS_caffe2_log_level, an int in libc10): messages below it are dropped.
    private const int C10ErrorSeverity = 2;
    private static readonly Lazy<IntPtr> C10LogLevel = new(() =>
    {
        var c10 = LoadedLibrary.Find(OperatingSystem.IsWindows() ? "c10.dll" : OperatingSystem.IsMacOS() ? "libc10.dylib" : "libc10.so");
        return c10 != IntPtr.Zero && NativeLibrary.TryGetExport(c10, "FLAGS_caffe2_log_level", out var address) ? address : IntPtr.Zero;
    });

    internal static IntPtr GlobalContext()
    {
        var f = Export("_ZN2at13globalContextEv", "?globalContext@at@@YAAEAVContext@1@XZ");
        return f == IntPtr.Zero ? IntPtr.Zero : ((delegate* unmanaged<IntPtr>)f)();
    }

    internal static IntPtr Export(string itaniumName, string msvcName)
    {
        var handle = Library.Value;
        if (handle == IntPtr.Zero)
            return IntPtr.Zero;
        return NativeLibrary.TryGetExport(handle, itaniumName, out var address) || NativeLibrary.TryGetExport(handle, msvcName, out address)
            ? address
            : IntPtr.Zero;
    }

    /// <summary>The file name of the libtorch library that holds <c>at::Context</c> on this platform.</summary>
    internal static string LibraryName =>
        OperatingSystem.IsWindows() ? "torch_cpu.dll" : OperatingSystem.IsMacOS() ? "libtorch_cpu.dylib" : "libtorch_cpu.so";

    private static IntPtr LoadLibrary()
    {
        // Make TorchSharp load libtorch (an explicit CPU tensor, whatever the default device), then take the handle
        // of that very copy: the CPU and CUDA packages both ship libtorch_cpu, and only an already-loaded one will do.
        using (TorchSharp.torch.zeros(1, TorchSharp.torch.ScalarType.Float32, TorchSharp.torch.CPU)) { }
        return LoadedLibrary.Find(LibraryName);
    }
}

/// <summary>One boolean flag of libtorch's global context, read and written through its exported accessors.</summary>
internal sealed unsafe class ContextFlag
{
    private readonly Lazy<(IntPtr Get, IntPtr Set)> accessors;

    public ContextFlag(string name, string getItanium, string setItanium, string getMsvc, string setMsvc)
    {
        Name = name;
        accessors = new(() => (LibTorchContext.Export(getItanium, getMsvc), LibTorchContext.Export(setItanium, setMsvc)));
    }

    public string Name { get; }

    public bool? Value
    {
        get
        {
            var (get, _) = accessors.Value;
            var context = LibTorchContext.GlobalContext();
            return get == IntPtr.Zero || context == IntPtr.Zero ? null : ((delegate* unmanaged<IntPtr, byte>)get)(context) != 0;
        }
    }

    public bool TrySet(bool enabled)
    {
        var (_, set) = accessors.Value;
        var context = LibTorchContext.GlobalContext();
        if (set == IntPtr.Zero || context == IntPtr.Zero)
            return false;
        ((delegate* unmanaged<IntPtr, byte, void>)set)(context, enabled ? (byte)1 : (byte)0);
        return true;
    }
}
