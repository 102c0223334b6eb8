using System;
using System.IO;
using System.Text;

namespace ResNeStBlocks.Runtime;

/// <summary>
/// Finds the Linux C++ runtime (libstdc++.so.6) and checks it for the symbol version TorchSharp 0.107's
/// native glue needs. The package's build-time check (buildTransitive/ResNeStBlocks.targets) looks in the
/// same places and honours the same override.
/// </summary>
internal static class LibStdCxx
{
    /// <summary>The symbol version libLibTorchSharp.so needs: libstdc++ from GCC 13 or later.</summary>
    public const string RequiredVersion = "GLIBCXX_3.4.32";

    /// <summary>The environment variable that names the library to check instead of the usual places.</summary>
    public const string OverrideVariable = "RESNESTBLOCKS_LIBSTDCXX";

    private static readonly string[] UsualPaths =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
    };

    /// <summary>The library to check: the override when set, else the first usual path that exists; null when none does.</summary>
    /// <returns>A path, or null.</returns>
    public static string? Find()
    {
        string? configured = Environment.GetEnvironmentVariable(OverrideVariable);
        if (!string.IsNullOrEmpty(configured))
            return configured;
        return Array.Find(UsualPaths, File.Exists);
    }

    /// <summary>Whether <paramref name="path"/> holds <see cref="RequiredVersion"/>; null when it cannot be read.</summary>
    /// <param name="path">A shared library.</param>
    /// <returns>True, false, or null when the file is missing or unreadable.</returns>
    public static bool? HasRequiredVersion(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        // Symbol versions are NUL-terminated ASCII strings in the library's .dynstr section.
        return bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(RequiredVersion)) >= 0;
    }
}
