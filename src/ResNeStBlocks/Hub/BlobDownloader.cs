using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;

namespace ResNeStBlocks.Hub;

/// <summary>Where a file's bytes are, how many there must be, and the SHA-256 (or its first hex digits) they must hash to.</summary>
/// <param name="Uri">The download location.</param>
/// <param name="Size">The file's size in bytes, as the server announced it.</param>
/// <param name="Sha256">The expected SHA-256 in lowercase hex: all 64 digits, a prefix (torch.hub names files with one), or null for no check.</param>
internal sealed record BlobSource(Uri Uri, long Size, string? Sha256);

/// <summary>
/// Streams one blob into <c>{blob}.incomplete</c>, resumes with <c>Range</c> after a dropped connection, checks
/// size and SHA-256 and only then renames it to <c>{blob}</c>: a partial or corrupt file never becomes a blob.
/// The caller holds the blob's <see cref="CacheLock"/>.
/// </summary>
internal sealed class BlobDownloader
{
    private const int BufferSize = 1 << 20;
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(100);

    private readonly HubTransport transport;
    private readonly HubOptions options;

    public BlobDownloader(HubTransport transport, HubOptions options)
    {
        this.transport = transport;
        this.options = options;
    }

    public async Task DownloadAsync(BlobSource metadata, string blobPath, HubRequest about,
        IProgress<HubDownloadProgress>? progress, CancellationToken cancellationToken)
    {
        string incomplete = HubCache.IncompletePath(blobPath);
        Directory.CreateDirectory(Path.GetDirectoryName(blobPath)!);
        var clock = Stopwatch.StartNew();
        long transferred = 0;
        for (int failures = 0; ; )
        {
            long have = File.Exists(incomplete) ? new FileInfo(incomplete).Length : 0;
            if (have > metadata.Size)
            {
                File.Delete(incomplete);   // not a prefix of this blob
                have = 0;
            }
            if (have == metadata.Size && File.Exists(incomplete))
                break;
            try
            {
                transferred += await FetchAsync(metadata, incomplete, have, about, progress, clock, transferred, cancellationToken).ConfigureAwait(false);
                if (new FileInfo(incomplete).Length >= metadata.Size)
                    break;
                throw new IOException($"the connection closed after {new FileInfo(incomplete).Length} of {metadata.Size} bytes");
            }
            catch (Exception e) when (IsTransient(e, cancellationToken))
            {
                if (failures++ >= options.MaxRetries)
                    throw transport.Site.Unreachable(about, metadata.Uri, failures, e);
                await Task.Delay(transport.Backoff(failures - 1), cancellationToken).ConfigureAwait(false);
            }
        }
        Verify(metadata, incomplete, about, transport.Site.Name);
        // Atomic on one file system: readers see no blob or the whole blob. A blob that appeared meanwhile (written by
        // a tool that takes no lock) has the same verified content, so replacing it is harmless.
        File.Move(incomplete, blobPath, overwrite: true);
    }

    /// <summary>One GET from <paramref name="offset"/> to the end (or until the connection fails); returns the bytes written.</summary>
    private async Task<long> FetchAsync(BlobSource metadata, string incomplete, long offset, HubRequest about,
        IProgress<HubDownloadProgress>? progress, Stopwatch clock, long transferredBefore, CancellationToken cancellationToken)
    {
        using var response = await transport.SendAsync(HttpMethod.Get, metadata.Uri, offset, about, cancellationToken).ConfigureAwait(false);
        if ((int)response.StatusCode >= 300)
            throw new HubException(HubErrorKind.Other, about.RepoId, about.FileName,
                $"The download of {about.FileName} from {about.RepoId} was redirected again ({(int)response.StatusCode}) by {metadata.Uri.GetLeftPart(UriPartial.Path)}; expected the file's bytes.");
        if (offset > 0 && response.StatusCode != HttpStatusCode.PartialContent)
            offset = 0;   // the server ignored Range and sends the whole file: start over
        await using var file = new FileStream(incomplete, offset > 0 ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, BufferSize, useAsync: true);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new byte[BufferSize];
        long written = 0, lastReport = -1;
        var reportedAt = TimeSpan.Zero;
        while (true)
        {
            int read;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                // A stalled connection counts as dropped after Timeout without a byte.
                timeout.CancelAfter(options.Timeout);
                read = await body.ReadAsync(buffer, timeout.Token).ConfigureAwait(false);
            }
            if (read == 0)
                break;
            await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            written += read;
            if (progress is not null && clock.Elapsed - reportedAt >= ProgressInterval)
            {
                reportedAt = clock.Elapsed;
                lastReport = offset + written;
                progress.Report(Progress(about, offset + written, metadata.Size, transferredBefore + written, clock));
            }
        }
        await file.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (progress is not null && lastReport != offset + written)
            progress.Report(Progress(about, offset + written, metadata.Size, transferredBefore + written, clock));
        return written;
    }

    private static HubDownloadProgress Progress(HubRequest about, long done, long total, long transferred, Stopwatch clock) =>
        new(about.FileName, done, total, transferred / Math.Max(clock.Elapsed.TotalSeconds, 1e-3));

    private static bool IsTransient(Exception e, CancellationToken cancellationToken) =>
        e is IOException or HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    private static void Verify(BlobSource metadata, string incomplete, HubRequest about, string server)
    {
        long size = new FileInfo(incomplete).Length;
        if (size != metadata.Size)
        {
            File.Delete(incomplete);
            throw new HubException(HubErrorKind.Integrity, about.RepoId, about.FileName,
                $"The download of {about.FileName} from {about.RepoId} has {size} bytes but {server} announced {metadata.Size}; nothing was cached. Try again.");
        }
        if (metadata.Sha256 is not string expected)
            return;   // a git blob hash (small non-LFS file) is not a content hash we can check cheaply
        string actual;
        using (var stream = new FileStream(incomplete, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize))
            actual = Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
        if (!actual.StartsWith(expected, StringComparison.Ordinal))
        {
            File.Delete(incomplete);
            string wanted = expected.Length == 64 ? expected : $"starting {expected} (from the file name)";
            throw new HubException(HubErrorKind.Integrity, about.RepoId, about.FileName,
                $"The download of {about.FileName} from {about.RepoId} is corrupt: expected SHA-256 {wanted}, got {actual}; nothing was cached. Try again.");
        }
    }
}
