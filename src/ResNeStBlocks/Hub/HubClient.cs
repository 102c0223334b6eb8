using System;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace ResNeStBlocks.Hub;

/// <summary>
/// Downloads files from the Hugging Face Hub into huggingface_hub's cache (shared with Python byte for byte in
/// layout, see <see cref="HubOptions.CacheDirectory"/>) and returns their local paths.
/// </summary>
/// <remarks>
/// <para>A cached file is returned with no request at all (unless <see cref="HubOptions.CheckForUpdates"/>);
/// otherwise one HEAD on <c>{endpoint}/{repo}/resolve/{revision}/{file}</c>, redirects not followed, gives the
/// commit, the blob's ETag and size, and for large files the download location. The blob is streamed with resume,
/// checked and renamed into place under a per-blob file lock, then linked from <c>snapshots/{commit}/</c>.</para>
/// <para>Thread safety: one client may serve concurrent downloads; clients in other threads or processes that share a
/// cache transfer each blob once.</para>
/// </remarks>
public sealed class HubClient : IDisposable
{
    /// <summary>The revision used when none is given.</summary>
    public const string DefaultRevision = "main";

    private readonly HuggingFaceSite site;
    private readonly HubTransport transport;
    private readonly BlobDownloader downloader;

    /// <summary>Creates a client.</summary>
    /// <param name="options">Endpoint, cache, token, offline mode and transport; null for the process environment's (<see cref="HubOptions()"/>).</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public HubClient(HubOptions? options = null)
    {
        Options = options ?? new HubOptions();
        Options.Validate(nameof(options));
        site = new HuggingFaceSite(Options);
        transport = new HubTransport(Options, site);
        downloader = new BlobDownloader(transport, Options);
    }

    /// <summary>The options in force.</summary>
    public HubOptions Options { get; }

    /// <summary>The cached path of a file, or null when it is not cached; never makes a request.</summary>
    /// <param name="repoId">The repository, such as <c>timm/resnest50d.in1k</c>.</param>
    /// <param name="fileName">The file in the repository, such as <c>model.safetensors</c>.</param>
    /// <param name="revision">A branch, tag (resolved through <c>refs/</c>) or commit hash.</param>
    /// <returns>The path under <c>snapshots/{commit}/</c>, or null.</returns>
    /// <exception cref="ArgumentException">A name is malformed.</exception>
    public string? TryGetCached(string repoId, string fileName, string revision = DefaultRevision)
    {
        HubNames.Validate(repoId, fileName, revision);
        return new HubCache(Options.CacheDirectory, repoId).TryResolve(revision, fileName);
    }

    /// <summary>Downloads a file unless it is cached, and returns its local path (blocking; see <see cref="DownloadAsync"/>).</summary>
    /// <param name="repoId">The repository, such as <c>timm/resnest50d.in1k</c>.</param>
    /// <param name="fileName">The file in the repository, such as <c>model.safetensors</c>.</param>
    /// <param name="revision">A branch, tag or commit hash.</param>
    /// <param name="progress">Receives bytes done, total and rate while downloading.</param>
    /// <param name="cancellationToken">Stops the download; the partial file stays for a later resume.</param>
    /// <returns>The path under <c>snapshots/{commit}/</c>.</returns>
    /// <exception cref="HubException">The file cannot be had; the subclass and message say why and what to do.</exception>
    public string Download(string repoId, string fileName, string revision = DefaultRevision,
        IProgress<HubDownloadProgress>? progress = null, CancellationToken cancellationToken = default) =>
        DownloadAsync(repoId, fileName, revision, progress, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Downloads a file unless it is cached, and returns its local path.</summary>
    /// <param name="repoId">The repository, such as <c>timm/resnest50d.in1k</c>.</param>
    /// <param name="fileName">The file in the repository, such as <c>model.safetensors</c>.</param>
    /// <param name="revision">A branch, tag or commit hash.</param>
    /// <param name="progress">Receives bytes done, total and rate while downloading.</param>
    /// <param name="cancellationToken">Stops the download; the partial file stays for a later resume.</param>
    /// <returns>The path under <c>snapshots/{commit}/</c>.</returns>
    /// <exception cref="ArgumentException">A name is malformed.</exception>
    /// <exception cref="HubException">The file cannot be fetched; <see cref="HubException.Kind"/> says why: <see cref="HubErrorKind.Offline"/>
    /// (offline mode, not cached), <see cref="HubErrorKind.Unauthorized"/> (401), <see cref="HubErrorKind.GatedRepository"/> (403),
    /// <see cref="HubErrorKind.RepositoryNotFound"/>, <see cref="HubErrorKind.RevisionNotFound"/>, <see cref="HubErrorKind.EntryNotFound"/>,
    /// <see cref="HubErrorKind.Integrity"/> (the bytes do not match the announced size or SHA-256; nothing was cached),
    /// <see cref="HubErrorKind.Unreachable"/> (no server, or every retry failed).</exception>
    /// <exception cref="HubException">The Hub stayed unreachable after the retries.</exception>
    public async Task<string> DownloadAsync(string repoId, string fileName, string revision = DefaultRevision,
        IProgress<HubDownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        HubNames.Validate(repoId, fileName, revision);
        var cache = new HubCache(Options.CacheDirectory, repoId);
        string? cached = cache.TryResolve(revision, fileName);
        if (cached is not null && (Options.Offline || !Options.CheckForUpdates || HubNames.IsCommitHash(revision)))
            return cached;
        var about = new HubRequest(Options.Endpoint, repoId, fileName, revision, site.SendsTokenTo(new Uri(Options.Endpoint)));
        if (Options.Offline)
            throw new HubException(HubErrorKind.Offline, repoId, fileName,
                $"{fileName} from {repoId} (revision '{revision}') is not in the cache {Options.CacheDirectory}, and offline mode is on ({HubEnvironment.Offline}=1), so it cannot be downloaded. " +
                $"Unset {HubEnvironment.Offline} to download it once, or copy a huggingface_hub cache that has it into {Options.CacheDirectory}. {site.ManualRoute(about)}");
        HubFileMetadata metadata;
        try
        {
            metadata = await GetMetadataAsync(about, cancellationToken).ConfigureAwait(false);
        }
        catch (HubException) when (cached is not null)
        {
            return cached;   // checking for updates failed: the cached file is still right for the last known commit
        }

        string blob = cache.BlobPath(metadata.ETag);
        string pointer = cache.SnapshotPath(metadata.CommitHash, fileName);
        if (!HubCache.ExistsResolved(pointer))
        {
            using (await CacheLock.AcquireAsync(cache.LockPath(metadata.ETag), cancellationToken).ConfigureAwait(false))
            {
                // Another process may have finished the same blob while this one waited for the lock.
                if (!System.IO.File.Exists(blob))
                    await downloader.DownloadAsync(new BlobSource(metadata.DownloadUri, metadata.Size, metadata.IsSha256 ? metadata.ETag : null), blob, about, progress, cancellationToken).ConfigureAwait(false);
                HubCache.Link(blob, pointer);
            }
        }
        cache.WriteRef(revision, metadata.CommitHash);
        return pointer;
    }

    private const int MaxRelativeRedirects = 5;

    /// <summary>The file's commit, ETag, size and download location, from one HEAD request (plus relative redirects of a renamed repository).</summary>
    private async Task<HubFileMetadata> GetMetadataAsync(HubRequest about, CancellationToken cancellationToken)
    {
        Uri url = HubNames.ResolveUrl(Options.Endpoint, about.RepoId, about.FileName, about.Revision);
        for (int hop = 0; ; hop++)
        {
            using var response = await transport.SendAsync(HttpMethod.Head, url, 0, about, cancellationToken).ConfigureAwait(false);
            string? commit = HubErrors.Header(response, "X-Repo-Commit");
            int status = (int)response.StatusCode;
            Uri download = url;
            if (status is >= 300 and < 400)
            {
                var location = response.Headers.Location
                    ?? throw new HubException(HubErrorKind.Other, about.RepoId, about.FileName, $"The Hub redirected the request for {about.FileName} in {about.RepoId} ({status}) without a Location header.");
                download = location.IsAbsoluteUri ? location : new Uri(url, location);
                // Without file metadata, a same-host redirect is a renamed repository: ask again there (as huggingface_hub does).
                if (commit is null && !location.IsAbsoluteUri && hop < MaxRelativeRedirects)
                {
                    url = download;
                    continue;
                }
            }
            string? etag = NormalizeETag(HubErrors.Header(response, "X-Linked-Etag") ?? HubErrors.Header(response, "ETag"));
            string? sizeText = HubErrors.Header(response, "X-Linked-Size");
            long? size = sizeText is not null && long.TryParse(sizeText, out long linked) ? linked : response.Content.Headers.ContentLength;
            string? missing = commit is null ? "X-Repo-Commit" : etag is null ? "ETag" : size is null ? "Content-Length" : null;
            if (missing is not null)
                throw new HubException(HubErrorKind.Other, about.RepoId, about.FileName,
                    $"{url.GetLeftPart(UriPartial.Path)} answered without {missing}, so it is not a Hugging Face Hub resolve endpoint; check {HubEnvironment.Endpoint} (now {Options.Endpoint}).");
            return new HubFileMetadata(commit!, etag!, size!.Value, download);
        }
    }

    /// <summary>An ETag as a file name: <c>W/"abc"</c> and <c>"abc"</c> both become <c>abc</c> (huggingface_hub's rule).</summary>
    /// <param name="etag">The header value, or null.</param>
    /// <returns>The bare value, or null.</returns>
    internal static string? NormalizeETag(string? etag)
    {
        if (etag is null)
            return null;
        string value = etag.Trim();
        if (value.StartsWith("W/", StringComparison.Ordinal))
            value = value[2..];
        value = value.Trim('"');
        return value.Length == 0 || value.Any(c => c is '/' or '\\') ? null : value;
    }

    /// <summary>Releases nothing: the connections belong to the process-wide pool (or to <see cref="HubOptions.MessageHandler"/>), which outlives any client.</summary>
    public void Dispose()
    {
    }
}
