using System.IO;

namespace ResNeStBlocks.Testing;

/// <summary>A new, empty folder under the system's temporary folder for one test class, deleted with everything in it on dispose.</summary>
public sealed class TempFolder : System.IDisposable
{
    /// <summary>Creates the folder, named <c>{prefix}-{random}</c>.</summary>
    /// <param name="prefix">What the folder is for, so that a leftover one says whose it was.</param>
    public TempFolder(string prefix) => Path = Directory.CreateTempSubdirectory(prefix + "-").FullName;

    /// <summary>The folder's absolute path.</summary>
    public string Path { get; }

    /// <summary>The path of <paramref name="name"/> inside the folder.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Deletes the folder; one already gone is not an error.</summary>
    public void Dispose()
    {
        if (Directory.Exists(Path))
            Directory.Delete(Path, recursive: true);
    }
}
