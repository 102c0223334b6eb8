using System;
using System.IO;

namespace ResNeStBlocks.Hub;

/// <summary>
/// One repository's folder in huggingface_hub's cache, laid out exactly as Python writes it, so that either side
/// finds the other's files:
/// <code>
/// {cache}/models--{org}--{name}/blobs/{etag}                      the bytes, named by SHA-256 (LFS) or git hash
/// {cache}/models--{org}--{name}/blobs/{etag}.incomplete           while downloading
/// {cache}/models--{org}--{name}/refs/{revision}                   the commit hash a branch or tag resolved to
/// {cache}/models--{org}--{name}/snapshots/{commit}/{file}         relative symlink ../../blobs/{etag}
/// {cache}/.locks/models--{org}--{name}/{etag}.lock                one downloader per blob, across processes
/// </code>
/// </summary>
internal sealed class HubCache
{
    private readonly string repoFolder;

    public HubCache(string cacheDirectory, string repoId)
    {
        CacheDirectory = cacheDirectory;
        RepoFolderName = HubNames.RepoFolder(repoId);
        repoFolder = Path.Combine(cacheDirectory, RepoFolderName);
    }

    public string CacheDirectory { get; }

    public string RepoFolderName { get; }

    public string BlobPath(string etag) => Path.Combine(repoFolder, "blobs", etag);

    public static string IncompletePath(string blobPath) => blobPath + ".incomplete";

    public string LockPath(string etag) => Path.Combine(CacheDirectory, ".locks", RepoFolderName, etag + ".lock");

    public string RefPath(string revision) => Path.Combine(repoFolder, "refs", Path.Combine(revision.Split('/')));

    public string SnapshotPath(string commit, string fileName) =>
        Path.Combine(repoFolder, "snapshots", commit, Path.Combine(fileName.Split('/')));

    /// <summary>The cached file for a revision (a commit hash directly, a branch or tag through <c>refs/</c>), or null.</summary>
    public string? TryResolve(string revision, string fileName)
    {
        string? commit = HubNames.IsCommitHash(revision) ? revision : ReadRef(revision);
        if (commit is null)
            return null;
        string pointer = SnapshotPath(commit, fileName);
        return ExistsResolved(pointer) ? pointer : null;
    }

    /// <summary>Records which commit a branch or tag resolved to; a commit hash needs no ref (as in huggingface_hub).</summary>
    public void WriteRef(string revision, string commit)
    {
        if (revision == commit)
            return;
        string path = RefPath(revision);
        // Rewriting an unchanged ref would fail needlessly on a read-only shared cache.
        if (ReadRef(revision) == commit)
            return;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, commit);
    }

    /// <summary>
    /// Points <paramref name="pointerPath"/> at the blob with a relative symlink (<c>../../blobs/{etag}</c> for a
    /// top-level file), so the cache survives being moved; copies the blob where symlinks are not allowed.
    /// </summary>
    public static void Link(string blobPath, string pointerPath)
    {
        if (ExistsResolved(pointerPath))
            return;
        string directory = Path.GetDirectoryName(pointerPath)!;
        Directory.CreateDirectory(directory);
        if (File.Exists(pointerPath) || new FileInfo(pointerPath).LinkTarget is not null)
            File.Delete(pointerPath);   // a dangling link left by a deleted blob
        try
        {
            File.CreateSymbolicLink(pointerPath, Path.GetRelativePath(directory, blobPath));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            if (ExistsResolved(pointerPath))
                return;   // another process linked it first
            File.Copy(blobPath, pointerPath, overwrite: true);
        }
    }

    /// <summary>True for a regular file, or a symlink whose final target is a file (a dangling link is not there).</summary>
    public static bool ExistsResolved(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is null)
            return info.Exists;
        return info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo { Exists: true };
    }

    private string? ReadRef(string revision)
    {
        string path = RefPath(revision);
        if (!File.Exists(path))
            return null;
        string commit = File.ReadAllText(path).Trim();
        return commit.Length > 0 ? commit : null;
    }
}
