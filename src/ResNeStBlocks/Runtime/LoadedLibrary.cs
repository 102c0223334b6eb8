using System;
using System.Runtime.InteropServices;

namespace ResNeStBlocks.Runtime;

/// <summary>
/// Finds a native library that the process has already loaded, without ever loading one: a second copy of libtorch
/// would carry its own global context, and switches set on it would not reach the copy TorchSharp computes with.
/// </summary>
internal static partial class LoadedLibrary
{
    // dlopen flags: resolve lazily, and return a handle only if the library is already loaded (RTLD_NOLOAD).
    private const int RtldLazy = 0x1;
    private const int RtldNoLoadLinux = 0x4;
    private const int RtldNoLoadMacOS = 0x10;

    /// <summary>The handle of the loaded library named <paramref name="fileName"/>, or zero when none is loaded.</summary>
    /// <param name="fileName">The file name (<c>libtorch_cpu.so</c>, <c>torch_cpu.dll</c>) or a full path.</param>
    public static IntPtr Find(string fileName)
    {
        try
        {
            if (OperatingSystem.IsWindows())
                return GetModuleHandle(fileName);
            if (OperatingSystem.IsMacOS())
                return DlOpenMacOS(fileName, RtldLazy | RtldNoLoadMacOS);
            return DlOpenLinux(fileName, RtldLazy | RtldNoLoadLinux);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // No dynamic loader interface we know of: the switches are then reported unreachable (null).
            return IntPtr.Zero;
        }
    }

    // libdl.so.2 exists on every glibc: since glibc 2.34 as a stub forwarding to libc.so.6.
    [LibraryImport("libdl.so.2", EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr DlOpenLinux(string fileName, int flags);

    [LibraryImport("libSystem.dylib", EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr DlOpenMacOS(string fileName, int flags);

    [LibraryImport("kernel32.dll", EntryPoint = "GetModuleHandleW", StringMarshalling = StringMarshalling.Utf16)]
    private static partial IntPtr GetModuleHandle(string moduleName);
}
