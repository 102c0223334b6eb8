using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Xml.Linq;
using FluentAssertions;
using ResNeStBlocks.Testing;
using Xunit;

namespace ResNeStBlocks.Onnx.Tests;

/// <summary><c>dotnet pack</c> of the ONNX package: the library, its docs and README, depending on ResNeStBlocks and Google.Protobuf only.</summary>
[Trait("Category", "Slow")]
public sealed class PackageTests
{
    [Fact]
    public void Package_depends_on_the_core_and_protobuf_only()
    {
        string repository = Path.GetDirectoryName(Path.GetDirectoryName(Fixtures.Root))!;
        // The test build already built the package's project in this configuration (bin/<Configuration>/...).
        string configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        string feed = Path.Combine(Path.GetTempPath(), $"onnx-pack-{Guid.NewGuid():N}");
        try
        {
            var pack = ChildProcess.DotNet(repository, TimeSpan.FromMinutes(3),
                "pack", "src/ResNeStBlocks.Onnx", "-c", configuration, "--no-build", "-o", feed);
            pack.ExitCode.Should().Be(0, pack.ToString());
            Directory.GetFiles(feed).Select(Path.GetFileName).Should().BeEquivalentTo(
                "ResNeStBlocks.Onnx.0.1.0.nupkg", "ResNeStBlocks.Onnx.0.1.0.snupkg");

            using var archive = ZipFile.OpenRead(Path.Combine(feed, "ResNeStBlocks.Onnx.0.1.0.nupkg"));
            archive.Entries.Select(e => e.FullName).Should().Contain(new[]
            {
                "lib/net8.0/ResNeStBlocks.Onnx.dll", "lib/net8.0/ResNeStBlocks.Onnx.xml", "README.md",
            });
            XDocument nuspec;
            using (var stream = archive.GetEntry("ResNeStBlocks.Onnx.nuspec")!.Open())
                nuspec = XDocument.Load(stream);
            XNamespace ns = nuspec.Root!.Name.Namespace;
            nuspec.Descendants(ns + "dependency")
                .Select(d => $"{d.Attribute("id")!.Value} {d.Attribute("version")!.Value}")
                .Should().Equal("ResNeStBlocks 0.1.0", "Google.Protobuf 3.36.2");
            PackageInspection.AssertWhatUsersExpect(feed, "ResNeStBlocks.Onnx", "0.1.0", "src/ResNeStBlocks.Onnx/OnnxExporter.cs");
        }
        finally
        {
            if (Directory.Exists(feed))
                Directory.Delete(feed, recursive: true);
        }
    }
}
