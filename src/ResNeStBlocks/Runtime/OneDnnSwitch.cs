using System;
using System.Runtime.InteropServices;

namespace ResNeStBlocks.Runtime;

/// <summary>
/// Reads and sets libtorch's process-wide "use oneDNN (MKL-DNN) on the CPU" flag
/// (<c>at::globalContext().setUserEnabledMkldnn</c>, what PyTorch exposes as
/// <c>torch.backends.mkldnn.enabled</c>; TorchSharp 0.107 does not expose it).
/// </summary>
internal static unsafe class OneDnnSwitch
{
    private static readonly Lazy<Entry?> Functions = new(Resolve);

    private sealed class Entry
    {
        public Entry(IntPtr globalContext, IntPtr get, IntPtr set)
        {
            GlobalContext = (delegate* unmanaged<IntPtr>)globalContext;
            Get = (delegate* unmanaged<IntPtr, byte>)get;
            Set = (delegate* unmanaged<IntPtr, byte, void>)set;
        }

        public delegate* unmanaged<IntPtr> GlobalContext { get; }
        public delegate* unmanaged<IntPtr, byte> Get { get; }
        public delegate* unmanaged<IntPtr, byte, void> Set { get; }
    }

    public static bool Available => Functions.Value is not null;

    public static bool? Enabled
    {
        get
        {
            var f = Functions.Value;
            return f is null ? null : f.Get(f.GlobalContext()) != 0;
        }
    }

    public static bool TrySet(bool enabled)
    {
        var f = Functions.Value;
        if (f is null)
            return false;
        f.Set(f.GlobalContext(), enabled ? (byte)1 : (byte)0);
        return true;
    }

    private static Entry? Resolve()
    {
        // The library is already loaded by TorchSharp; loading it by name returns the same handle.
        string[] names = OperatingSystem.IsWindows() ? new[] { "torch_cpu.dll" }
            : OperatingSystem.IsMacOS() ? new[] { "libtorch_cpu.dylib" }
            : new[] { "libtorch_cpu.so" };
        foreach (var name in names)
        {
            if (!NativeLibrary.TryLoad(name, typeof(OneDnnSwitch).Assembly, null, out var handle))
                continue;
            // Itanium C++ ABI names (Linux, macOS), then MSVC names (Windows).
            if (TryBind(handle, "_ZN2at13globalContextEv", "_ZNK2at7Context17userEnabledMkldnnEv", "_ZN2at7Context20setUserEnabledMkldnnEb", out var entry)
                || TryBind(handle, "?globalContext@at@@YAAEAVContext@1@XZ", "?userEnabledMkldnn@Context@at@@QEBA_NXZ",
                    "?setUserEnabledMkldnn@Context@at@@QEAAX_N@Z", out entry))
                return entry;
        }
        return null;
    }

    private static bool TryBind(IntPtr handle, string context, string get, string set, out Entry? entry)
    {
        entry = null;
        if (!NativeLibrary.TryGetExport(handle, context, out var c)
            || !NativeLibrary.TryGetExport(handle, get, out var g)
            || !NativeLibrary.TryGetExport(handle, set, out var s))
            return false;
        entry = new Entry(c, g, s);
        return true;
    }
}
