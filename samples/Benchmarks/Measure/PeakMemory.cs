using System;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ResNeStBlocks.Benchmarks.Measure;

/// <summary>Peak memory where the runtime lets us see it.</summary>
/// <remarks>
/// TorchSharp 0.107 exposes no CUDA allocator statistics (PyTorch's <c>torch.cuda.max_memory_reserved</c>), and
/// the allocator's C++ API cannot be called safely by symbol. What can be asked is the CUDA driver
/// (<c>cuMemGetInfo</c>): the device memory in use. libtorch's caching allocator keeps every block it has reserved
/// until the process ends (nothing here empties the cache), so memory in use after a run, less what was in use
/// before the first model, is the most the allocator reserved so far: PyTorch's <c>max_memory_reserved</c>, as a
/// high-water mark for the whole process. Run one model per process for a per-model figure. Other processes on
/// the same GPU would be counted too.
/// </remarks>
public static partial class PeakMemory
{
    private const string CudaKind = "CUDA memory reserved since the first model, process high-water mark (cuMemGetInfo: used now - used before)";

    /// <summary>Device memory in use now, in bytes, as the CUDA driver reports it; null when the driver cannot be asked.</summary>
    public static long? DeviceUsedBytes()
    {
        try
        {
            nuint free, total;
            int status = OperatingSystem.IsWindows() ? MemGetInfoWindows(out free, out total) : MemGetInfoLinux(out free, out total);
            return status == 0 ? (long)(total - free) : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// On the CPU, the process's peak resident set (Linux VmHWM), which covers libtorch's allocations too; on CUDA,
    /// the device memory reserved since <paramref name="cudaBaseline"/> (see the remarks); null where unknown.
    /// </summary>
    public static (double? Megabytes, string Kind) Read(bool cuda, long? cudaBaseline)
    {
        if (cuda)
        {
            long? used = DeviceUsedBytes();
            return used is { } now && cudaBaseline is { } before
                ? ((now - before) / (1024.0 * 1024.0), CudaKind)
                : (null, "unavailable: the CUDA driver (libcuda / nvcuda) could not be asked");
        }
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return (process.PeakWorkingSet64 / (1024.0 * 1024.0), "process peak working set");
    }

    [LibraryImport("libcuda.so.1", EntryPoint = "cuMemGetInfo_v2")]
    private static partial int MemGetInfoLinux(out nuint free, out nuint total);

    [LibraryImport("nvcuda.dll", EntryPoint = "cuMemGetInfo_v2")]
    private static partial int MemGetInfoWindows(out nuint free, out nuint total);
}
