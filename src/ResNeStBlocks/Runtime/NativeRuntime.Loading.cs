using System;
using System.Runtime.InteropServices;
using TorchSharp;

namespace ResNeStBlocks.Runtime;

public static partial class NativeRuntime
{
    /// <summary>
    /// Loads libtorch for the CPU now, so that a machine that cannot run it fails here with the fix rather
    /// than at the first tensor with TorchSharp's message. <see cref="VerifyCpuConvolution"/> calls it.
    /// </summary>
    /// <exception cref="NativeRuntimeUnavailableException">libtorch or TorchSharp's native glue cannot be loaded: on Linux
    /// usually a libstdc++ older than GCC 13's (no <c>GLIBCXX_3.4.32</c>), otherwise a missing <c>TorchSharp-cpu</c> reference.</exception>
    public static void EnsureLoaded()
    {
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
        }
        catch (Exception e) when (IsNativeLoadFailure(e))
        {
            string? libStdCxx = OperatingSystem.IsLinux() ? LibStdCxx.Find() : null;
            throw Unavailable(e, libStdCxx, libStdCxx is null ? null : LibStdCxx.HasRequiredVersion(libStdCxx));
        }
    }

    /// <summary>Whether <paramref name="e"/> is TorchSharp failing to load its native libraries (possibly inside its type initializer).</summary>
    internal static bool IsNativeLoadFailure(Exception e)
    {
        if (e is TypeInitializationException { InnerException: { } inner })
            e = inner;
        return e is DllNotFoundException
            || (e is NotSupportedException && e.Message.Contains("doesn't contain a reference to libtorch", StringComparison.Ordinal));
    }

    /// <summary>The exception for a load failure, given what the libstdc++ check found.</summary>
    /// <param name="failure">TorchSharp's exception.</param>
    /// <param name="libStdCxx">The libstdc++ checked, or null (not Linux, or none found).</param>
    /// <param name="hasRequiredVersion">Whether it holds GLIBCXX_3.4.32; null when unknown.</param>
    internal static NativeRuntimeUnavailableException Unavailable(Exception failure, string? libStdCxx, bool? hasRequiredVersion)
    {
        string cause = hasRequiredVersion == false
            ? $"{libStdCxx} lacks {LibStdCxx.RequiredVersion} (libstdc++ from GCC 13 or later), which TorchSharp 0.107's native glue needs. "
              + "Fix: run on Ubuntu 24.04+, Debian 13+ or Fedora 39+, or on Debian 12 as root add 'deb http://deb.debian.org/debian trixie main' "
              + "to apt's sources and run 'apt-get install -t trixie libstdc++6' (this also moves libc6 and about 27 other packages to Debian 13). "
              + $"If the application loads another libstdc++, set {LibStdCxx.OverrideVariable} to its path to check that one."
            : $"Check that the application references the native runtime package for {RuntimeInformation.RuntimeIdentifier}: "
              + "'dotnet add package TorchSharp-cpu --version 0.107.0' (or TorchSharp-cuda-linux / TorchSharp-cuda-windows)"
              + (hasRequiredVersion == true ? $"; {libStdCxx} does have {LibStdCxx.RequiredVersion}." : ".");
        return new NativeRuntimeUnavailableException(
            $"TorchSharp could not load libtorch, so no torch call can run in this process. {cause} TorchSharp said: {FirstLine(failure)}", failure);
    }

    private static string FirstLine(Exception e)
    {
        if (e is TypeInitializationException { InnerException: { } inner })
            e = inner;
        string message = e.Message;
        int end = message.IndexOf('\n', StringComparison.Ordinal);
        return (end < 0 ? message : message[..end]).Trim();
    }
}
