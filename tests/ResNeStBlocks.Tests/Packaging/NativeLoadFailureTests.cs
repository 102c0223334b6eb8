using System;
using System.IO;
using System.Runtime.InteropServices;
using FluentAssertions;
using ResNeStBlocks.Runtime;
using Xunit;
using ResNeStBlocks.Testing;

namespace ResNeStBlocks.Tests.Packaging;

/// <summary>
/// A machine that cannot load libtorch gets one exception that says why and how to fix it, instead of
/// TorchSharp's "doesn't contain a reference to libtorch-cpu-linux-x64" from the first tensor.
/// </summary>
public sealed class NativeLoadFailureTests : IDisposable
{
    private const string TorchSharpMessage = "This application or script uses TorchSharp but doesn't contain a reference to libtorch-cpu-linux-x64, Version=2.10.0.0.\n\nConsider referencing one of the combination packages TorchSharp-cpu.";
    private static readonly Exception LoadFailure = new TypeInitializationException("TorchSharp.torch", new NotSupportedException(TorchSharpMessage));
    private readonly TempFolder temp = new("native-load");

    public void Dispose() => temp.Dispose();

    private string Library(string contents)
    {
        string path = Path.Combine(temp.Path, "libstdc++.so.6");
        File.WriteAllText(path, contents);
        return path;
    }

    [Fact]
    public void TorchSharps_load_failures_are_recognised_and_other_failures_are_not()
    {
        NativeRuntime.IsNativeLoadFailure(LoadFailure).Should().BeTrue();
        NativeRuntime.IsNativeLoadFailure(new DllNotFoundException("libLibTorchSharp.so")).Should().BeTrue();
        NativeRuntime.IsNativeLoadFailure(new TypeInitializationException("Other", new ArgumentException("x"))).Should().BeFalse();
        NativeRuntime.IsNativeLoadFailure(new NotSupportedException("something else")).Should().BeFalse();
    }

    [Fact]
    public void A_libstdcxx_without_the_symbol_is_named_with_the_fix()
    {
        string path = Library("\0GLIBCXX_3.4.30\0GLIBCXX_3.4.31\0");
        LibStdCxx.HasRequiredVersion(path).Should().BeFalse();

        var thrown = NativeRuntime.Unavailable(LoadFailure, path, LibStdCxx.HasRequiredVersion(path));

        thrown.InnerException.Should().BeSameAs(LoadFailure);
        thrown.Message.Should().Be(
            "TorchSharp could not load libtorch, so no torch call can run in this process. "
            + $"{path} lacks GLIBCXX_3.4.32 (libstdc++ from GCC 13 or later), which TorchSharp 0.107's native glue needs. "
            + "Fix: run on Ubuntu 24.04+, Debian 13+ or Fedora 39+, or on Debian 12 as root add 'deb http://deb.debian.org/debian trixie main' "
            + "to apt's sources and run 'apt-get install -t trixie libstdc++6' (this also moves libc6 and about 27 other packages to Debian 13). "
            + "If the application loads another libstdc++, set RESNESTBLOCKS_LIBSTDCXX to its path to check that one. "
            + "TorchSharp said: This application or script uses TorchSharp but doesn't contain a reference to libtorch-cpu-linux-x64, Version=2.10.0.0.");
    }

    [Fact]
    public void With_a_new_enough_libstdcxx_the_missing_runtime_package_is_named()
    {
        string path = Library("\0GLIBCXX_3.4.31\0GLIBCXX_3.4.32\0");
        LibStdCxx.HasRequiredVersion(path).Should().BeTrue();

        var thrown = NativeRuntime.Unavailable(LoadFailure, path, true);

        thrown.Message.Should().Be(
            "TorchSharp could not load libtorch, so no torch call can run in this process. "
            + $"Check that the application references the native runtime package for {RuntimeInformation.RuntimeIdentifier}: "
            + "'dotnet add package TorchSharp-cpu --version 0.107.0' (or TorchSharp-cuda-linux / TorchSharp-cuda-windows); "
            + $"{path} does have GLIBCXX_3.4.32. "
            + "TorchSharp said: This application or script uses TorchSharp but doesn't contain a reference to libtorch-cpu-linux-x64, Version=2.10.0.0.");
    }

    [Fact]
    public void A_library_that_cannot_be_read_is_unknown_rather_than_lacking()
    {
        LibStdCxx.HasRequiredVersion(Path.Combine(temp.Path, "absent.so")).Should().BeNull();
        NativeRuntime.Unavailable(LoadFailure, Path.Combine(temp.Path, "absent.so"), null).Message
            .Should().Contain("'dotnet add package TorchSharp-cpu --version 0.107.0' (or TorchSharp-cuda-linux / TorchSharp-cuda-windows). TorchSharp said:")
            .And.NotContain("lacks").And.NotContain("does have");
    }

    [Fact]
    public void Where_libtorch_loads_EnsureLoaded_returns()
    {
        FluentActions.Invoking(NativeRuntime.EnsureLoaded).Should().NotThrow();
    }
}
