using System;
using System.Linq;

namespace ResNeStBlocks.Hub;

/// <summary>Checks repository ids, file names and revisions, and spells them as URLs and cache folder names.</summary>
internal static class HubNames
{
    /// <summary>huggingface_hub's separator in cache folder names: <c>models--org--name</c>.</summary>
    private const string FolderSeparator = "--";

    public static void Validate(string repoId, string fileName, string revision)
    {
        ArgumentNullException.ThrowIfNull(repoId);
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(revision);
        var parts = repoId.Split('/');
        if (parts.Length is < 1 or > 2 || parts.Any(p => p.Length == 0 || p is "." or ".." || p.Contains(FolderSeparator, StringComparison.Ordinal) || p.Any(char.IsWhiteSpace)))
            throw new ArgumentException(
                $"Repository id must be 'name' or 'owner/name' without spaces, '--' or '..', such as 'timm/resnest50d.in1k'; got '{repoId}'.", nameof(repoId));
        if (fileName.Length == 0 || fileName.StartsWith('/') || fileName.Contains('\\') || fileName.Split('/').Any(s => s is "" or "." or ".."))
            throw new ArgumentException(
                $"File name must be a relative path inside the repository with '/' separators, such as 'model.safetensors'; got '{fileName}'.", nameof(fileName));
        if (revision.Length == 0 || revision.Split('/').Any(s => s is "" or "." or ".."))
            throw new ArgumentException($"Revision must be a branch, tag or commit hash, such as 'main'; got '{revision}'.", nameof(revision));
    }

    /// <summary><c>models--timm--resnest50d.in1k</c> for <c>timm/resnest50d.in1k</c>.</summary>
    public static string RepoFolder(string repoId) => "models" + FolderSeparator + repoId.Replace("/", FolderSeparator, StringComparison.Ordinal);

    /// <summary>A full 40-hex commit hash (immutable, so never resolved through refs).</summary>
    public static bool IsCommitHash(string revision) => revision.Length == 40 && IsLowerHex(revision);

    public static bool IsLowerHex(string value) => value.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    /// <summary><c>{endpoint}/{repo_id}/resolve/{revision}/{filename}</c>, with the revision escaped as one segment.</summary>
    public static Uri ResolveUrl(string endpoint, string repoId, string fileName, string revision)
    {
        string file = string.Join('/', fileName.Split('/').Select(Uri.EscapeDataString));
        return new Uri($"{endpoint.TrimEnd('/')}/{repoId}/resolve/{Uri.EscapeDataString(revision)}/{file}");
    }
}
