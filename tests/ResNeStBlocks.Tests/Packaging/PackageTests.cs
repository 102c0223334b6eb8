using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using FluentAssertions;
using ResNeStBlocks.Testing;
using Xunit;

namespace ResNeStBlocks.Tests.Packaging;

/// <summary>
/// <c>dotnet pack</c> makes a NuGet package that holds the library, its XML docs and README, depends on TorchSharp
/// only, and works when a fresh project outside the repository installs it from a local feed; on Linux, its build
/// warns when libstdc++ is too old for TorchSharp.
/// </summary>
[Trait("Category", "Slow")]
public sealed class PackageTests : IClassFixture<PackedLibrary>
{
    private const string Version = "0.1.0";
    private readonly PackedLibrary packed;

    public PackageTests(PackedLibrary packed) => this.packed = packed;

    [Fact]
    public void Pack_makes_the_package_and_its_symbols()
    {
        packed.Pack.ExitCode.Should().Be(0, packed.Pack.ToString());
        packed.Packages.Select(Path.GetFileName).Should().Equal($"ResNeStBlocks.{Version}.nupkg");
        File.Exists(Path.Combine(packed.Feed, $"ResNeStBlocks.{Version}.snupkg")).Should().BeTrue();
    }

    [Fact]
    public void The_package_holds_the_library_docs_and_readme_and_depends_on_TorchSharp_only()
    {
        packed.Pack.ExitCode.Should().Be(0, packed.Pack.ToString());
        using var archive = ZipFile.OpenRead(Path.Combine(packed.Feed, $"ResNeStBlocks.{Version}.nupkg"));
        var entries = archive.Entries.Select(e => e.FullName).ToList();
        entries.Should().Contain(new[] { "lib/net8.0/ResNeStBlocks.dll", "lib/net8.0/ResNeStBlocks.xml", "README.md", "buildTransitive/ResNeStBlocks.targets" });

        XDocument nuspec;
        using (var stream = archive.GetEntry("ResNeStBlocks.nuspec")!.Open())
            nuspec = XDocument.Load(stream);
        XNamespace ns = nuspec.Root!.Name.Namespace;
        var metadata = nuspec.Root.Element(ns + "metadata")!;
        metadata.Element(ns + "id")!.Value.Should().Be("ResNeStBlocks");
        metadata.Element(ns + "version")!.Value.Should().Be(Version);
        metadata.Element(ns + "license")!.Value.Should().Be("MIT");
        metadata.Element(ns + "readme")!.Value.Should().Be("README.md");
        metadata.Element(ns + "description")!.Value.Should().NotBeNullOrWhiteSpace();
        metadata.Element(ns + "authors")!.Value.Should().NotBeNullOrWhiteSpace();
        var dependencies = metadata.Descendants(ns + "dependency").ToList();
        dependencies.Should().ContainSingle();
        dependencies[0].Attribute("id")!.Value.Should().Be("TorchSharp");
        dependencies[0].Attribute("version")!.Value.Should().Be("0.107.0");

        using var readme = new StreamReader(archive.GetEntry("README.md")!.Open());
        readme.ReadToEnd().Should().Contain("dotnet add package ResNeStBlocks").And.Contain("GLIBCXX_3.4.32").And.Contain("RESNESTBLOCKS001")
            .And.Contain("ImageResult.FromMemory").And.Contain("model.call(x)");
        using var docs = new StreamReader(archive.GetEntry("lib/net8.0/ResNeStBlocks.xml")!.Open());
        docs.ReadToEnd().Should().Contain("T:ResNeStBlocks.Layers.SqueezeExcite");
    }

    [Fact]
    public void The_package_has_its_repository_an_icon_a_deterministic_build_and_symbols_with_sources_and_working_readme_links()
    {
        packed.Pack.ExitCode.Should().Be(0, packed.Pack.ToString());
        packed.Pack.Output.Should().NotContain("warning", "packing warns of nothing (no missing remote, no empty source link)");
        PackageInspection.AssertWhatUsersExpect(packed.Feed, "ResNeStBlocks", Version, "src/ResNeStBlocks/Layers/SqueezeExcite.cs");
    }

    [Fact]
    public void A_fresh_project_outside_the_repository_restores_the_package_warns_of_an_old_libstdcxx_and_runs_a_block()
    {
        packed.Pack.ExitCode.Should().Be(0, packed.Pack.ToString());
        string project = Path.Combine(packed.Root, "consumer");
        Directory.CreateDirectory(project);
        string globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        // A private packages folder gets this run's ResNeStBlocks (never a cached copy of an older build);
        // TorchSharp comes from the machine's packages folder when it is there.
        File.WriteAllText(Path.Combine(project, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <RestorePackagesPath>{Path.Combine(packed.Root, "packages")}</RestorePackagesPath>
                <RestoreAdditionalProjectFallbackFolders>{globalPackages}</RestoreAdditionalProjectFallbackFolders>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="ResNeStBlocks" Version="{Version}" />
                <PackageReference Include="TorchSharp-cpu" Version="0.107.0" />
                <PackageReference Include="StbImageSharp" Version="2.30.16" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(project, "Program.cs"), """
            using System;
            using System.Reflection;
            using ResNeStBlocks.Layers;
            using static TorchSharp.torch;

            using var block = new SqueezeExcite(64);
            Console.WriteLine("checked: " + (ResNeStBlocks.Runtime.NativeRuntime.CpuConvolutionCheck is not null));
            using var input = ones(1, 64, 8, 8);
            using var output = block.call(input);
            Console.WriteLine("shape: [" + string.Join(", ", output.shape) + "]");
            Console.WriteLine("gated: " + (output.gt(0).all().item<bool>() && output.lt(1).all().item<bool>()));
            Console.WriteLine("version: " + typeof(SqueezeExcite).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion);
            """);

        // Every C# example of the package README must compile against the package.
        string readme;
        using (var archive = ZipFile.OpenRead(Path.Combine(packed.Feed, $"ResNeStBlocks.{Version}.nupkg")))
        using (var reader = new StreamReader(archive.GetEntry("README.md")!.Open()))
            readme = reader.ReadToEnd();
        var examples = Regex.Matches(readme, "```csharp\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToList();
        examples.Should().HaveCount(2);
        for (int i = 0; i < examples.Count; i++)
            File.WriteAllText(Path.Combine(project, $"ReadmeExample{i}.cs"), AsMethod(examples[i], $"ReadmeExample{i}"));

        var restore = ChildProcess.DotNet(project, PackedLibrary.CommandTimeout,
            "restore", "--source", packed.Feed, "--source", "https://api.nuget.org/v3/index.json");
        restore.ExitCode.Should().Be(0, restore.ToString());
        // The build checks the library the override names: one without GLIBCXX_3.4.32 gets the one-line warning.
        string oldLibrary = Path.Combine(packed.Root, "libstdc++.so.6");
        File.WriteAllText(oldLibrary, "\0GLIBCXX_3.4.30\0GLIBCXX_3.4.31\0");
        var build = ChildProcess.DotNet(project, PackedLibrary.CommandTimeout,
            new Dictionary<string, string> { ["RESNESTBLOCKS_LIBSTDCXX"] = oldLibrary }, "build", "--no-restore");
        build.ExitCode.Should().Be(0, build.ToString());
        if (OperatingSystem.IsLinux())
            build.Output.Should().Contain($"warning RESNESTBLOCKS001: ResNeStBlocks: {oldLibrary} lacks GLIBCXX_3.4.32 (libstdc++ from GCC 13 or later), "
                + "which TorchSharp 0.107 needs, so loading torch will fail at run time. Fix: run on Ubuntu 24.04+, Debian 13+ or Fedora 39+, "
                + "or on Debian 12 as root add 'deb http://deb.debian.org/debian trixie main' to apt's sources and run "
                + "'apt-get install -t trixie libstdc++6' (this also moves libc6 and about 27 other packages to Debian 13). "
                + "RESNESTBLOCKS_LIBSTDCXX=/path/libstdc++.so.6 checks another library; NoWarn RESNESTBLOCKS001 silences this.");
        else
            build.Output.Should().NotContain("RESNESTBLOCKS001");
        var run = ChildProcess.DotNet(project, PackedLibrary.CommandTimeout, "run", "--no-build");

        run.ExitCode.Should().Be(0, run.ToString());
        var lines = run.Output.Split('\n').Select(l => l.Trim()).ToList();
        lines.Should().Contain("shape: [1, 64, 8, 8]");
        lines.Should().Contain("gated: True");
        lines.Should().Contain("checked: True", "creating a library module ran the CPU convolution check");
        lines.Should().Contain(l => l.StartsWith("version: " + Version, StringComparison.Ordinal));
    }

    /// <summary>A README example (top-level statements) as a static method of its own class, its usings hoisted.</summary>
    private static string AsMethod(string example, string className)
    {
        static bool IsDirective(string line) => line.StartsWith("using ", StringComparison.Ordinal) && !line.StartsWith("using var ", StringComparison.Ordinal);
        var lines = example.Split('\n');
        return string.Join("\n", lines.Where(IsDirective))
            + $"\ninternal static class {className}\n{{\n    internal static void Run()\n    {{\n"
            + string.Join("\n", lines.Where(l => !IsDirective(l)))
            + "\n    }\n}\n";
    }
}
