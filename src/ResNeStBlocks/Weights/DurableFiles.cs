using System;
using System.IO;
using System.Runtime.InteropServices;

namespace ResNeStBlocks.Weights;

/// <summary>
/// Makes a finished file and its rename survive a crash or power loss: the data is flushed to the disk before the rename
/// (otherwise the rename can reach the disk first and leave an empty file under the final name), and on Linux and
/// macOS the directory is flushed after it, which is what records the rename. Windows offers no directory flush to
/// .NET; NTFS journals the rename itself.
/// </summary>
internal static unsafe class DurableFiles
{
    /// <summary>Flushes <paramref name="stream"/>'s buffers and the file's data to the disk.</summary>
    public static void FlushToDisk(FileStream stream) => stream.Flush(flushToDisk: true);

    /// <summary>Moves <paramref name="temporary"/> over <paramref name="path"/> and flushes the directory where the platform allows.</summary>
    public static void Replace(string temporary, string path)
    {
        File.Move(temporary, path, overwrite: true);
        FlushDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>fsync on the directory, best effort: a file system that cannot flush a directory keeps the rename as it does anyway.</summary>
    private static void FlushDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
            return;
        var (open, fsync, close) = Posix.Value;
        if (open == IntPtr.Zero)
            return;
        int descriptor;
        IntPtr name = Marshal.StringToCoTaskMemUTF8(directory);
        try
        {
            descriptor = ((delegate* unmanaged<IntPtr, int, int>)open)(name, 0 /* O_RDONLY */);
        }
        finally
        {
            Marshal.FreeCoTaskMem(name);
        }
        if (descriptor < 0)
            return;
        ((delegate* unmanaged<int, int>)fsync)(descriptor);
        ((delegate* unmanaged<int, int>)close)(descriptor);
    }

    private static readonly Lazy<(IntPtr Open, IntPtr Fsync, IntPtr Close)> Posix = new(() =>
    {
        string library = OperatingSystem.IsMacOS() ? "libSystem.dylib" : "libc.so.6";
        if (!NativeLibrary.TryLoad(library, out var handle)
            || !NativeLibrary.TryGetExport(handle, "open", out var open)
            || !NativeLibrary.TryGetExport(handle, "fsync", out var fsync)
            || !NativeLibrary.TryGetExport(handle, "close", out var close))
            return (IntPtr.Zero, IntPtr.Zero, IntPtr.Zero);
        return (open, fsync, close);
    });
}
