using System;

namespace ResNeStBlocks.Hub;

/// <summary>What the Hub says about one file at one revision (the answer to a HEAD on its resolve URL).</summary>
/// <param name="CommitHash">The commit the revision resolved to (<c>X-Repo-Commit</c>).</param>
/// <param name="ETag">The blob's identity, quotes and <c>W/</c> removed: the SHA-256 of an LFS file (<c>X-Linked-Etag</c>) or the git blob hash (<c>ETag</c>).</param>
/// <param name="Size">The file's size in bytes (<c>X-Linked-Size</c> or <c>Content-Length</c>).</param>
/// <param name="DownloadUri">Where the bytes are: the resolve URL itself, or the redirect target (<c>Location</c>) for large files.</param>
internal sealed record HubFileMetadata(string CommitHash, string ETag, long Size, Uri DownloadUri)
{
    /// <summary>Whether <see cref="ETag"/> is a SHA-256 (64 hex digits), which the download is checked against.</summary>
    public bool IsSha256 => ETag.Length == 64 && HubNames.IsLowerHex(ETag);
}
