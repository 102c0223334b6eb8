using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ResNeStBlocks.Testing;

/// <summary>One request the stand-in Hub received.</summary>
public sealed record LoggedRequest(string Method, string Path, string? Range, string? Authorization);

/// <summary>A repository the stand-in Hub serves at one commit.</summary>
public sealed class FakeRepo
{
    public required string Id { get; init; }
    public required string Commit { get; init; }
    public Dictionary<string, byte[]> Files { get; } = new(StringComparer.Ordinal);
    public bool Gated { get; init; }

    /// <summary>When set, only <c>Authorization: Bearer {Token}</c> may read the repository (a private repository).</summary>
    public string? Token { get; init; }
}

/// <summary>
/// A Hugging Face Hub stand-in on 127.0.0.1 (Kestrel, port chosen by the OS) with the real Hub's protocol:
/// <c>HEAD|GET /{org}/{name}/resolve/{revision}/{file}</c> answering with <c>X-Repo-Commit</c>, <c>ETag</c>,
/// and for LFS files (<c>*.safetensors</c>) a 302 to <c>/lfs/{sha256}</c> with <c>X-Linked-Etag</c> and
/// <c>X-Linked-Size</c>; <c>Range</c> on the LFS path; errors with <c>X-Error-Code</c>. Faults are switchable and
/// every request is logged. It also stands in for torch.hub's checkpoint server: <c>HEAD|GET /models/{file}</c> serves
/// <see cref="Checkpoints"/> (403 for an unknown file, as download.pytorch.org answers), with the same faults.
/// </summary>
public sealed class FakeHub : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, FakeRepo> repos = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<LoggedRequest> log = new();
    private WebApplication? app;
    private long dropAfterBytes = -1;
    private TimeSpan cutStall;

    private FakeHub()
    {
    }

    /// <summary>Base URL, such as <c>http://127.0.0.1:41234</c>.</summary>
    public string Endpoint { get; private set; } = "";

    /// <summary>Status codes answered (one each, in order) to the next resolve requests before normal service, such as 503, 503.</summary>
    public ConcurrentQueue<int> ResolveFaults { get; } = new();

    /// <summary>Files served under <c>/models/</c>, by name, as torch.hub's checkpoint server does.</summary>
    public ConcurrentDictionary<string, byte[]> Checkpoints { get; } = new(StringComparer.Ordinal);

    /// <summary>The LFS and checkpoint paths serve their bytes with one byte changed (a corrupt transfer of the right size).</summary>
    public bool CorruptLfs { get; set; }

    /// <summary>Wait before an LFS body starts, so that concurrent downloads overlap.</summary>
    public TimeSpan LfsDelay { get; set; }

    /// <summary>Redirect large files to this base (another host name for the same server) instead of a relative <c>/lfs/...</c>.</summary>
    public string? LfsBase { get; set; }

    /// <summary>Requests in arrival order.</summary>
    public IReadOnlyList<LoggedRequest> Log => log.ToArray();

    /// <summary>GETs of LFS blobs (each one a transfer).</summary>
    public int LfsTransfers => log.Count(r => r.Method == "GET" && r.Path.StartsWith("/lfs/", StringComparison.Ordinal));

    /// <summary>GETs of torch.hub checkpoints (each one a transfer).</summary>
    public int CheckpointTransfers => log.Count(r => r.Method == "GET" && r.Path.StartsWith("/models/", StringComparison.Ordinal));

    /// <summary>Starts the stand-in; with <paramref name="certificate"/> it speaks HTTPS only, presenting that certificate.</summary>
    public static async Task<FakeHub> StartAsync(X509Certificate2? certificate = null)
    {
        var hub = new FakeHub();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (certificate is not null)
                listen.UseHttps(certificate);
        }));
        hub.app = builder.Build();
        hub.app.Run(hub.HandleAsync);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await hub.app.StartAsync(timeout.Token);
        var addresses = hub.app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!;
        hub.Endpoint = addresses.Addresses.Single().Replace("[::]", "127.0.0.1", StringComparison.Ordinal);
        if (certificate is not null && hub.Endpoint.StartsWith("http:", StringComparison.Ordinal))
            hub.Endpoint = "https:" + hub.Endpoint["http:".Length..];
        return hub;
    }

    public FakeRepo Add(FakeRepo repo)
    {
        repos[repo.Id] = repo;
        return repo;
    }

    /// <summary>
    /// The next LFS body stops after <paramref name="bytes"/> bytes, stays silent for <paramref name="stall"/> (or until
    /// the client gives up) and then the connection is aborted; one time.
    /// </summary>
    public void CutNextLfsBodyAfter(long bytes, TimeSpan stall)
    {
        cutStall = stall;
        Interlocked.Exchange(ref dropAfterBytes, bytes);
    }

    public void ClearLog() => log.Clear();

    public async Task StopAsync()
    {
        if (app is null)
            return;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await app.StopAsync(timeout.Token);
        await app.DisposeAsync();
        app = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    public static string Sha256(byte[] data) => Convert.ToHexString(SHA256.HashData(data)).ToLowerInvariant();

    /// <summary>Git's blob id (what the Hub sends as the ETag of a file stored in git rather than LFS).</summary>
    public static string GitBlobSha1(byte[] data) =>
        Convert.ToHexString(SHA1.HashData(Encoding.ASCII.GetBytes($"blob {data.Length}\0").Concat(data).ToArray())).ToLowerInvariant();

    private static bool IsLfs(string fileName) => fileName.EndsWith(".safetensors", StringComparison.Ordinal);

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        string path = request.Path.Value ?? "/";
        log.Enqueue(new LoggedRequest(request.Method, path, request.Headers.Range.FirstOrDefault(), request.Headers.Authorization.FirstOrDefault()));
        if (path.StartsWith("/lfs/", StringComparison.Ordinal))
        {
            await ServeLfsAsync(context, path["/lfs/".Length..]);
            return;
        }
        if (path.StartsWith("/models/", StringComparison.Ordinal))
        {
            if (Checkpoints.TryGetValue(Uri.UnescapeDataString(path["/models/".Length..]), out var checkpoint))
                await ServeBytesAsync(context, checkpoint, etag: Sha256(checkpoint)[..32]);
            else
                context.Response.StatusCode = 403;   // S3 behind download.pytorch.org refuses unknown keys
            return;
        }
        var segments = path.Trim('/').Split('/');
        if (segments.Length < 5 || segments[2] != "resolve")
        {
            context.Response.StatusCode = 404;
            return;
        }
        if (ResolveFaults.TryDequeue(out int fault))
        {
            context.Response.StatusCode = fault;
            return;
        }
        string repoId = segments[0] + "/" + segments[1];
        string revision = Uri.UnescapeDataString(segments[3]);
        string fileName = string.Join('/', segments.Skip(4).Select(Uri.UnescapeDataString));
        var response = context.Response;
        if (!repos.TryGetValue(repoId, out var repo))
        {
            Error(response, 404, "RepoNotFound", "Repository not found");
            return;
        }
        bool authorized = repo.Token is not null && request.Headers.Authorization.FirstOrDefault() == "Bearer " + repo.Token;
        if (repo.Token is not null && !authorized && !repo.Gated)
        {
            Error(response, 401, null, "Invalid credentials in Authorization header");
            return;
        }
        if (repo.Gated && !authorized)
        {
            Error(response, 403, "GatedRepo", $"Access to model {repoId} is restricted. You must have access to it and be authenticated to access it. Please log in.");
            return;
        }
        if (revision != "main" && revision != repo.Commit)
        {
            Error(response, 404, "RevisionNotFound", "Invalid rev id: " + revision);
            return;
        }
        response.Headers["X-Repo-Commit"] = repo.Commit;
        if (!repo.Files.TryGetValue(fileName, out var data))
        {
            Error(response, 404, "EntryNotFound", "Entry not found");
            return;
        }
        response.Headers.ETag = "\"" + GitBlobSha1(data) + "\"";
        if (IsLfs(fileName))
        {
            string sha = Sha256(data);
            response.StatusCode = 302;
            response.Headers["X-Linked-Etag"] = "\"" + sha + "\"";
            response.Headers["X-Linked-Size"] = data.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
            response.Headers.Location = (LfsBase ?? "") + "/lfs/" + sha;
            return;
        }
        response.StatusCode = 200;
        response.ContentLength = data.Length;
        if (HttpMethods.IsGet(request.Method))
            await response.Body.WriteAsync(data);
    }

    private async Task ServeLfsAsync(HttpContext context, string sha)
    {
        var data = repos.Values.SelectMany(r => r.Files.Values).FirstOrDefault(d => Sha256(d) == sha);
        if (data is null)
        {
            context.Response.StatusCode = 404;
            return;
        }
        await ServeBytesAsync(context, data, sha);
    }

    /// <summary>A file body with Range support and the switchable faults (corruption, delay, a cut connection).</summary>
    private async Task ServeBytesAsync(HttpContext context, byte[] data, string etag)
    {
        var response = context.Response;
        if (CorruptLfs)
        {
            data = (byte[])data.Clone();
            data[data.Length / 2] ^= 0xFF;
        }
        long start = 0;
        string? range = context.Request.Headers.Range.FirstOrDefault();
        if (range is not null && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
            start = long.Parse(range["bytes=".Length..^1], System.Globalization.CultureInfo.InvariantCulture);
        response.StatusCode = start > 0 ? 206 : 200;
        if (start > 0)
            response.Headers.ContentRange = $"bytes {start}-{data.Length - 1}/{data.Length}";
        response.ContentLength = data.Length - start;
        response.Headers.ETag = "\"" + etag + "\"";
        if (!HttpMethods.IsGet(context.Request.Method))
            return;
        if (LfsDelay > TimeSpan.Zero)
            await Task.Delay(LfsDelay);
        long drop = Interlocked.Exchange(ref dropAfterBytes, -1);
        if (drop >= 0)
        {
            await response.Body.WriteAsync(data.AsMemory((int)start, (int)Math.Min(drop, data.Length - start)));
            await response.Body.FlushAsync();
            // Also lets the client read what was sent: a reset can discard bytes still unread in its socket buffer.
            try
            {
                await Task.Delay(cutStall, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // the client timed out and closed the connection first
            }
            context.Abort();   // the connection dies mid-body
            return;
        }
        await response.Body.WriteAsync(data.AsMemory((int)start));
    }

    private static void Error(HttpResponse response, int status, string? code, string message)
    {
        response.StatusCode = status;
        if (code is not null)
            response.Headers["X-Error-Code"] = code;
        response.Headers["X-Error-Message"] = message;
    }
}

/// <summary>A certificate no machine trusts, for a loopback HTTPS server (a proxy or a mirror with a private CA, as the client meets it).</summary>
public static class SelfSignedCertificate
{
    /// <summary>A fresh RSA certificate for <c>CN=localhost</c> and IP 127.0.0.1, valid from yesterday for a week, with its private key.</summary>
    public static X509Certificate2 Create()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, critical: false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        // Kestrel on Linux needs the key in an exportable form, which a round trip through PKCS#12 gives.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }
}
