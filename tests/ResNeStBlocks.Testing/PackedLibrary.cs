using System;
using System.IO;
using System.Linq;

namespace ResNeStBlocks.Testing;

/// <summary>Packs src/ResNeStBlocks once, into a temporary folder outside the repository.</summary>
public sealed class PackedLibrary : IDisposable
{
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(4);

    public PackedLibrary()
    {
        Root = Path.Combine(Path.GetTempPath(), "resnestblocks-pack-" + Guid.NewGuid().ToString("N"));
        Feed = Path.Combine(Root, "feed");
        Directory.CreateDirectory(Feed);
        // Stop MSBuild's upward search for Directory.Build.* here: nothing from elsewhere may leak in.
        foreach (string name in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
            File.WriteAllText(Path.Combine(Root, name), "<Project />\n");

        string repository = Directory.GetParent(Fixtures.Root)!.Parent!.FullName;
        string project = Path.Combine(repository, "src", "ResNeStBlocks", "ResNeStBlocks.csproj");
        Pack = ChildProcess.DotNet(repository, CommandTimeout, "pack", project, "-c", "Release", "-o", Feed, "-nodeReuse:false");
    }

    /// <summary>The temporary folder holding everything.</summary>
    public string Root { get; }

    /// <summary>The folder <c>dotnet pack</c> wrote to; also the local package source.</summary>
    public string Feed { get; }

    /// <summary>How <c>dotnet pack</c> ended.</summary>
    public ChildProcess.Outcome Pack { get; }

    /// <summary>The .nupkg files in <see cref="Feed"/>.</summary>
    public string[] Packages => Directory.GetFiles(Feed, "*.nupkg").OrderBy(p => p, StringComparer.Ordinal).ToArray();

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { /* a build server may still hold a file; the OS cleans the temp folder */ }
    }
}
