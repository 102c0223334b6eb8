using System;
using Xunit;

namespace ResNeStBlocks.Testing;

/// <summary>A fact that holds on Linux only; elsewhere the runner reports it skipped, with the reason, instead of passing it silently.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute(string reason)
    {
        if (!OperatingSystem.IsLinux())
            Skip = $"Linux only: {reason}";
    }
}
