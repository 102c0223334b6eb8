using System;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;

namespace ResNeStBlocks.Hub;

/// <summary>
/// Downloads torch.hub checkpoints (torchvision's <c>.pth</c> weights) into the folder Python's <c>torch.hub</c> uses,
/// <c>$TORCH_HOME/hub/checkpoints/&lt;file&gt;</c>, and returns their local paths.
/// </summary>
/// <remarks>
/// <para>A file in the folder is used with no request at all, whoever put it there (Python's
/// <c>torch.hub.load_state_dict_from_url</c> included). Otherwise, under a per-file lock
/// (<c>checkpoints/.locks/&lt;file&gt;.lock</c>, so that two processes transfer it once), one HEAD on
/// <c>{TorchModelsUrl}/{file}</c> gives its size and location; the body streams into <c>&lt;file&gt;.incomplete</c>,
/// resumes with <c>Range</c> after a dropped connection, retries 5xx, 429, timeouts and resets with bounded doubling
/// waits, and becomes the file only after its size and its SHA-256 match: the file name carries the first hex digits
/// of its SHA-256 (<c>deeplabv3_resnet50_coco-cd0a2569.pth</c>), which are checked as torch.hub's
/// <c>check_hash=True</c> does, so a wrong file never lands in the folder.</para>
/// <para>Thread safety: one client may serve concurrent downloads; clients in other threads or processes that share the
/// folder transfer each file once.</para>
/// </remarks>
public sealed class TorchHubClient : IDisposable
{
    /// <summary>The fewest hex digits of SHA-256 a file name must carry (torchvision's carry 8).</summary>
    internal const int MinHashPrefixLength = 8;

    // torch.hub's HASH_REGEX: the first "-<hex>." in the file name.
    private static readonly Regex HashPattern = new(@"-([a-f0-9]*)\.", RegexOptions.CultureInvariant);
    private const int MaxRedirects = 5;

    private readonly TorchHubSite site = new();
    private readonly HubTransport transport;
    private readonly BlobDownloader downloader;

    /// <summary>Creates a client.</summary>
    /// <param name="options">Base URL (<see cref="HubOptions.TorchModelsUrl"/>), checkpoint folder (<see cref="HubOptions.TorchCheckpointDirectory"/>),
    /// offline mode and transport; null for the process environment's (<see cref="HubOptions()"/>).</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public TorchHubClient(HubOptions? options = null)
    {
        Options = options ?? new HubOptions();
        Options.Validate(nameof(options));
        transport = new HubTransport(Options, site);
        downloader = new BlobDownloader(transport, Options);
    }

    /// <summary>The options in force.</summary>
    public HubOptions Options { get; }

    /// <summary>The SHA-256 prefix a checkpoint's name carries, found as torch.hub finds it (the first <c>-&lt;hex&gt;.</c>).</summary>
    /// <param name="fileName">A file name such as <c>deeplabv3_resnet50_coco-cd0a2569.pth</c>.</param>
    /// <returns>The hex digits, such as <c>cd0a2569</c>.</returns>
    /// <exception cref="ArgumentException">The name is not a plain file name, or carries fewer than <see cref="MinHashPrefixLength"/> hex digits.</exception>
    internal static string HashPrefix(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        if (fileName.Length == 0 || fileName is "." or ".." || fileName.IndexOfAny(['/', '\\']) >= 0 || fileName.Any(char.IsControl))
            throw new ArgumentException($"A checkpoint is named by a plain file name such as deeplabv3_resnet50_coco-cd0a2569.pth; got '{fileName}'.", nameof(fileName));
        var match = HashPattern.Match(fileName);
        if (!match.Success || match.Groups[1].Length < MinHashPrefixLength)
            throw new ArgumentException(
                $"'{fileName}' does not carry the first {MinHashPrefixLength} or more hex digits of its SHA-256 as torch.hub names checkpoints (<name>-<sha256 prefix>.pth, " +
                "such as deeplabv3_resnet50_coco-cd0a2569.pth), so a download could not be checked.", nameof(fileName));
        return match.Groups[1].Value;
    }

    /// <summary>The path of a checkpoint in the folder, or null when it is not there; never makes a request.</summary>
    /// <param name="fileName">The checkpoint's file name.</param>
    /// <returns>The path, or null.</returns>
    /// <exception cref="ArgumentException">The name is malformed (see <see cref="HashPrefix"/>).</exception>
    public string? TryGetCached(string fileName)
    {
        HashPrefix(fileName);
        string path = PathOf(fileName);
        return File.Exists(path) ? path : null;
    }

    /// <summary>Downloads a checkpoint unless it is in the folder, and returns its path (blocking; see <see cref="DownloadAsync"/>).</summary>
    /// <param name="fileName">The checkpoint's file name, such as <c>deeplabv3_resnet50_coco-cd0a2569.pth</c>.</param>
    /// <param name="progress">Receives bytes done, total and rate while downloading.</param>
    /// <param name="cancellationToken">Stops the download; the partial file stays for a later resume.</param>
    /// <returns>The path, <c>{TorchCheckpointDirectory}/{fileName}</c>.</returns>
    /// <exception cref="HubException">The file cannot be had; the subclass and message say why and what to do.</exception>
    public string Download(string fileName, IProgress<HubDownloadProgress>? progress = null, CancellationToken cancellationToken = default) =>
        DownloadAsync(fileName, progress, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Downloads a checkpoint unless it is in the folder, and returns its path.</summary>
    /// <param name="fileName">The checkpoint's file name, such as <c>deeplabv3_resnet50_coco-cd0a2569.pth</c>.</param>
    /// <param name="progress">Receives bytes done, total and rate while downloading.</param>
    /// <param name="cancellationToken">Stops the download; the partial file stays for a later resume.</param>
    /// <returns>The path, <c>{TorchCheckpointDirectory}/{fileName}</c>.</returns>
    /// <exception cref="ArgumentException">The name is malformed (see <see cref="HashPrefix"/>).</exception>
    /// <exception cref="HubException">The file cannot be fetched; <see cref="HubException.Kind"/> says why: <see cref="HubErrorKind.Offline"/>
    /// (offline mode, not in the folder), <see cref="HubErrorKind.EntryNotFound"/> (403 or 404), <see cref="HubErrorKind.Integrity"/> (the
    /// bytes do not match the announced size or the SHA-256 prefix of the name; nothing was kept), <see cref="HubErrorKind.Unreachable"/>.</exception>
    /// <exception cref="HubException">The server stayed unreachable after the retries, or answered otherwise.</exception>
    public async Task<string> DownloadAsync(string fileName, IProgress<HubDownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        string hashPrefix = HashPrefix(fileName);
        string path = PathOf(fileName);
        if (File.Exists(path))
            return path;
        var about = new HubRequest(Options.TorchModelsUrl, Options.TorchModelsUrl, fileName, "", TokenSent: false);
        if (Options.Offline)
            throw new HubException(HubErrorKind.Offline, Options.TorchModelsUrl, fileName,
                $"{fileName} is not in the checkpoint folder {Options.TorchCheckpointDirectory}, and offline mode is on ({HubEnvironment.Offline}=1), so it cannot be downloaded. " +
                $"Unset {HubEnvironment.Offline} to download it once, or copy it from a torch.hub checkpoint folder that has it ($TORCH_HOME/hub/checkpoints). {site.ManualRoute(about)}");
        using (await CacheLock.AcquireAsync(Path.Combine(Options.TorchCheckpointDirectory, ".locks", fileName + ".lock"), cancellationToken).ConfigureAwait(false))
        {
            // Another process may have finished the same file while this one waited for the lock.
            if (File.Exists(path))
                return path;
            var source = await LocateAsync(about, cancellationToken).ConfigureAwait(false);
            await downloader.DownloadAsync(source with { Sha256 = hashPrefix }, path, about, progress, cancellationToken).ConfigureAwait(false);
        }
        return path;
    }

    private string PathOf(string fileName) => Path.Combine(Options.TorchCheckpointDirectory, fileName);

    /// <summary>The file's size and final location, from a HEAD on its URL (following up to <see cref="MaxRedirects"/> redirects).</summary>
    private async Task<BlobSource> LocateAsync(HubRequest about, CancellationToken cancellationToken)
    {
        var url = new Uri(Options.TorchModelsUrl + "/" + Uri.EscapeDataString(about.FileName));
        for (int hop = 0; ; hop++)
        {
            using var response = await transport.SendAsync(HttpMethod.Head, url, 0, about, cancellationToken).ConfigureAwait(false);
            int status = (int)response.StatusCode;
            if (status is >= 300 and < 400)
            {
                if (response.Headers.Location is not Uri location || hop >= MaxRedirects)
                    throw new HubException(HubErrorKind.Other, about.RepoId, about.FileName, $"{url.GetLeftPart(UriPartial.Path)} redirected ({status}) without a usable Location, or more than {MaxRedirects} times.");
                url = location.IsAbsoluteUri ? location : new Uri(url, location);
                continue;
            }
            if (response.Content.Headers.ContentLength is not long size)
                throw new HubException(HubErrorKind.Other, about.RepoId, about.FileName, $"{url.GetLeftPart(UriPartial.Path)} answered without Content-Length, so the download could not be checked; check {HubEnvironment.TorchModelsUrl} (now {Options.TorchModelsUrl}).");
            return new BlobSource(url, size, null);
        }
    }

    /// <summary>Releases nothing: the connections belong to the process-wide pool (or to <see cref="HubOptions.MessageHandler"/>), which outlives any client.</summary>
    public void Dispose()
    {
    }
}
