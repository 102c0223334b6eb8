using System;
using System.Runtime.InteropServices;

namespace ResNeStBlocks.Runtime;

/// <summary>
/// Tells glibc's <c>malloc</c> to keep the large buffers libtorch frees instead of handing them back to the kernel,
/// which makes CPU training steps faster: by default glibc serves every allocation above a (dynamic) threshold
/// with its own <c>mmap</c> and unmaps it on free, and trims the heap whenever its free top exceeds 128 KiB, so a
/// convolution's buffers are mapped, faulted in page by page, and unmapped again on every step.
/// </summary>
/// <remarks>
/// <para><see cref="KeepFreedMemory"/> sets, through <c>mallopt</c>, what the environment variables
/// <c>MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TOP_PAD_=268435456</c> and a <c>MALLOC_TRIM_THRESHOLD_</c> above any heap
/// size would: blocks up to 32 MiB (glibc's maximum) come from the heap, the heap is never trimmed, and it grows
/// 256 MiB at a time. The price is memory: what a training step once used stays with the process until it exits,
/// as it does with PyTorch's own caching allocators.</para>
/// <para>Process-wide and permanent, like <c>mallopt</c> itself; it changes how later allocations are served and
/// touches none already made. It acts on Linux with glibc only; elsewhere (Windows, macOS, musl) it does
/// nothing and says so by returning false. The library never calls it by itself: an application that trains on
/// the CPU calls it once at start-up (the Train and FineTune samples do).</para>
/// </remarks>
public static class GlibcAllocator
{
    // mallopt parameter numbers from glibc's <malloc.h>.
    private const int TrimThresholdParameter = -1;
    private const int TopPadParameter = -2;
    private const int MmapThresholdParameter = -3;

    /// <summary>The largest block served from the heap rather than by its own <c>mmap</c>: glibc's upper limit on 64-bit systems.</summary>
    public const int MmapThreshold = 32 * 1024 * 1024;

    /// <summary>How much the heap grows beyond each request, so that growth needs few system calls.</summary>
    public const int TopPad = 256 * 1024 * 1024;

    private static readonly object Gate = new();
    private static bool applied;

    /// <summary>Whether <see cref="KeepFreedMemory"/> has changed the allocator of this process.</summary>
    public static bool IsApplied
    {
        get
        {
            lock (Gate)
                return applied;
        }
    }

    /// <summary>
    /// Keeps freed memory in the process (see the class remarks). Safe to call more than once and from any thread.
    /// </summary>
    /// <returns>True when glibc accepted every setting (now or in an earlier call); false on a platform without glibc's
    /// <c>mallopt</c>, where nothing changed.</returns>
    public static bool KeepFreedMemory()
    {
        lock (Gate)
        {
            if (applied)
                return true;
            var mallopt = FindMallopt();
            if (mallopt == IntPtr.Zero)
                return false;
            // -1 disables trimming altogether (documented in mallopt(3)); the other two values are within glibc's limits.
            applied = Set(mallopt, MmapThresholdParameter, MmapThreshold)
                & Set(mallopt, TrimThresholdParameter, -1)
                & Set(mallopt, TopPadParameter, TopPad);
            return applied;
        }
    }

    private static unsafe bool Set(IntPtr mallopt, int parameter, int value) =>
        ((delegate* unmanaged<int, int, int>)mallopt)(parameter, value) == 1;

    /// <summary>The address of glibc's <c>mallopt</c>, or zero where there is none.</summary>
    private static IntPtr FindMallopt()
    {
        if (!OperatingSystem.IsLinux())
            return IntPtr.Zero;
        // gnu_get_libc_version exists only in glibc: musl's libc would otherwise be taken for it.
        if (!NativeLibrary.TryLoad("libc.so.6", out var libc)
            || !NativeLibrary.TryGetExport(libc, "gnu_get_libc_version", out _)
            || !NativeLibrary.TryGetExport(libc, "mallopt", out var mallopt))
            return IntPtr.Zero;
        return mallopt;
    }
}
