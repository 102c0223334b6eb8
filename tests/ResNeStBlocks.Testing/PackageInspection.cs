using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using FluentAssertions;

namespace ResNeStBlocks.Testing;

/// <summary>
/// What a .NET user expects of a package, read from the .nupkg and .snupkg themselves: repository and project URLs, an
/// icon, a deterministic build, symbols that link every source file to the repository at the commit built and embed it
/// too, and README links that work where the README is shown (nuget.org): absolute URLs or anchors of its own headings.
/// </summary>
public static class PackageInspection
{
    /// <summary>The repository URL both packages declare (Directory.Build.props).</summary>
    public const string RepositoryUrl = "https://github.com/ResNeStBlocks/ResNeStBlocks";

    // Portable PDB custom debug information kinds (System.Reflection.Metadata's documentation of the format).
    private static readonly Guid SourceLinkKind = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");
    private static readonly Guid EmbeddedSourceKind = new("0E8A571B-6926-466E-B4AD-8AB04611F5FE");

    /// <summary>Asserts all of the above for the package <paramref name="id"/> in <paramref name="feed"/>.</summary>
    /// <param name="feed">The folder holding <c>{id}.{version}.nupkg</c> and <c>.snupkg</c>.</param>
    /// <param name="id">The package id, which is also the assembly's name.</param>
    /// <param name="version">The version.</param>
    /// <param name="aSourceFile">A source file of the assembly, relative to the repository root (for example <c>src/ResNeStBlocks/Layers/SqueezeExcite.cs</c>).</param>
    public static void AssertWhatUsersExpect(string feed, string id, string version, string aSourceFile)
    {
        using var package = ZipFile.OpenRead(Path.Combine(feed, $"{id}.{version}.nupkg"));
        var metadata = Nuspec(package, id);
        XNamespace ns = metadata.Name.Namespace;
        metadata.Element(ns + "projectUrl")!.Value.Should().Be(RepositoryUrl);
        var repository = metadata.Element(ns + "repository")!;
        repository.Attribute("type")!.Value.Should().Be("git");
        repository.Attribute("url")!.Value.Should().Be(RepositoryUrl);
        string commit = repository.Attribute("commit")!.Value;
        commit.Should().MatchRegex("^[0-9a-f]{40}$");
        metadata.Element(ns + "icon")!.Value.Should().Be("icon.png");
        Bytes(package, "icon.png").Take(8).Should().Equal(0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A);

        // Deterministic: a reproducible debug directory entry, and a PDB path that does not name the build machine's folders.
        using (var pe = new PEReader(new MemoryStream(Bytes(package, $"lib/net8.0/{id}.dll"))))
        {
            var entries = pe.ReadDebugDirectory();
            entries.Select(e => e.Type).Should().Contain(DebugDirectoryEntryType.Reproducible);
            pe.ReadCodeViewDebugDirectoryData(entries.Single(e => e.Type == DebugDirectoryEntryType.CodeView)).Path
                .Should().Be($"/_/src/{id}/obj/Release/net8.0/{id}.pdb");
        }

        using var symbols = ZipFile.OpenRead(Path.Combine(feed, $"{id}.{version}.snupkg"));
        using var provider = MetadataReaderProvider.FromPortablePdbStream(new MemoryStream(Bytes(symbols, $"lib/net8.0/{id}.pdb")));
        var pdb = provider.GetMetadataReader();
        string sourceLink = Encoding.UTF8.GetString(pdb.GetBlobBytes(pdb.GetCustomDebugInformation(EntityHandle.ModuleDefinition)
            .Select(pdb.GetCustomDebugInformation).Single(c => pdb.GetGuid(c.Kind) == SourceLinkKind).Value));
        sourceLink.Should().Be("{\"documents\":{\"/_/*\":\"https://raw.githubusercontent.com/ResNeStBlocks/ResNeStBlocks/" + commit + "/*\"}}");
        var documents = pdb.Documents.Select(h => (Handle: h, Name: pdb.GetString(pdb.GetDocument(h).Name))).ToList();
        var source = documents.Single(d => d.Name == "/_/" + aSourceFile);
        pdb.GetCustomDebugInformation(source.Handle).Select(pdb.GetCustomDebugInformation)
            .Should().Contain(c => pdb.GetGuid(c.Kind) == EmbeddedSourceKind, $"{aSourceFile} is embedded in the symbols");

        string readme = Encoding.UTF8.GetString(Bytes(package, "README.md"));
        var anchors = Regex.Matches(readme, "^#+ (.+)$", RegexOptions.Multiline)
            .Select(m => "#" + Regex.Replace(m.Groups[1].Value.Trim().ToLowerInvariant(), "[^a-z0-9 -]", "").Replace(' ', '-')).ToHashSet();
        var links = Regex.Matches(readme, @"\]\(([^)\s]+)\)").Select(m => m.Groups[1].Value).ToList();
        links.Should().NotBeEmpty();
        links.Where(link => !(link.StartsWith("https://", StringComparison.Ordinal) || anchors.Contains(link)))
            .Should().BeEmpty("the README is read on nuget.org, where only absolute links and its own anchors resolve");
    }

    private static XElement Nuspec(ZipArchive package, string id)
    {
        using var stream = package.GetEntry($"{id}.nuspec")!.Open();
        var nuspec = XDocument.Load(stream);
        return nuspec.Root!.Element(nuspec.Root.Name.Namespace + "metadata")!;
    }

    private static byte[] Bytes(ZipArchive archive, string entry)
    {
        var found = archive.GetEntry(entry);
        found.Should().NotBeNull($"the package holds {entry}");
        using var stream = found!.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
