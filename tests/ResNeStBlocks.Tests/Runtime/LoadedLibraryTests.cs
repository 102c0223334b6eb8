using System;
using System.IO;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Runtime;
using Xunit;

namespace ResNeStBlocks.Tests.Runtime;

/// <summary>The context switches must reach the libtorch TorchSharp computes with, never a second copy.</summary>
public class LoadedLibraryTests
{
    [Fact]
    public void The_context_handle_is_the_one_libtorch_loaded_by_TorchSharp()
    {
        LibTorchContext.Handle.Should().NotBe(IntPtr.Zero);
        if (!OperatingSystem.IsLinux())
            return;
        MappedFiles(LibTorchContext.LibraryName).Should().ContainSingle("one copy of libtorch_cpu is mapped in the process");
    }

    [Fact]
    public void A_library_that_is_not_loaded_is_not_found_and_stays_unloaded()
    {
        if (!OperatingSystem.IsLinux())
            return;
        // Shipped beside libtorch and never loaded by TorchSharp: finding it would mean loading it.
        string path = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libtorchbind_test.so");
        File.Exists(path).Should().BeTrue($"{path} ships with the libtorch runtime package");
        MappedFiles("libtorchbind_test.so").Should().BeEmpty();
        LoadedLibrary.Find(path).Should().Be(IntPtr.Zero);
        LoadedLibrary.Find("libtorchbind_test.so").Should().Be(IntPtr.Zero);
        MappedFiles("libtorchbind_test.so").Should().BeEmpty("a lookup never loads a library");
        LoadedLibrary.Find(LibTorchContext.LibraryName).Should().NotBe(IntPtr.Zero);
    }

    private static string[] MappedFiles(string fileName) =>
        File.ReadLines("/proc/self/maps")
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length >= 6 && Path.GetFileName(fields[5]) == fileName)
            .Select(fields => fields[5])
            .Distinct()
            .ToArray();
}
