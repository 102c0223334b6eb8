using System;
using System.Runtime.InteropServices;

namespace ResNeStBlocks.Benchmarks.Runtime;

/// <summary>
/// Turns off libtorch's NNPACK convolution path (PyTorch <c>torch.backends.nnpack.enabled = False</c>;
/// TorchSharp 0.107 does not expose it). Once oneDNN is off, libtorch tries NNPACK on every eligible
/// convolution; on CPUs NNPACK does not support it fails and logs "Could not initialize NNPACK" each time,
/// which floods the output and costs time inside the measurements.
/// </summary>
public static unsafe class NnpackSwitch
{
    /// <summary>Disables NNPACK; returns false when the switch cannot be found (nothing changed).</summary>
    public static bool TryDisable()
    {
        string library = OperatingSystem.IsWindows() ? "torch_cpu.dll" : OperatingSystem.IsMacOS() ? "libtorch_cpu.dylib" : "libtorch_cpu.so";
        if (!NativeLibrary.TryLoad(library, typeof(NnpackSwitch).Assembly, null, out var handle))
            return false;
        if (!Bind(handle, "_ZN2at13globalContextEv", "_ZN2at7Context20setUserEnabledNNPACKEb", out var context, out var set)
            && !Bind(handle, "?globalContext@at@@YAAEAVContext@1@XZ", "?setUserEnabledNNPACK@Context@at@@QEAAX_N@Z", out context, out set))
            return false;
        var globalContext = ((delegate* unmanaged<IntPtr>)context)();
        ((delegate* unmanaged<IntPtr, byte, void>)set)(globalContext, 0);
        return true;
    }

    private static bool Bind(IntPtr handle, string contextName, string setName, out IntPtr context, out IntPtr set)
    {
        set = IntPtr.Zero;
        return NativeLibrary.TryGetExport(handle, contextName, out context) && NativeLibrary.TryGetExport(handle, setName, out set);
    }
}
