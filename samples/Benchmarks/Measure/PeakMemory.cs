using System.Diagnostics;

namespace ResNeStBlocks.Benchmarks.Measure;

/// <summary>Peak memory where the runtime lets us see it.</summary>
public static class PeakMemory
{
    /// <summary>
    /// On the CPU, the process's peak resident set (Linux VmHWM): it covers libtorch's allocations too,
    /// but is a high-water mark for the whole process lifetime. TorchSharp 0.107 exposes no CUDA allocator
    /// statistics, so on CUDA the value is unknown.
    /// </summary>
    public static (double? Megabytes, string Kind) Read(bool cuda)
    {
        if (cuda)
            return (null, "unavailable: TorchSharp 0.107 exposes no CUDA memory statistics");
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return (process.PeakWorkingSet64 / (1024.0 * 1024.0), "process peak working set");
    }
}
