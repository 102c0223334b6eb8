using System;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Threading;
using System.Threading.Tasks;

namespace ResNeStBlocks.Hub;

/// <summary>
/// Sends one request with bounded retries over the process-wide connection pool (or the caller's
/// <see cref="HubOptions.MessageHandler"/>): 5xx, 429, timeouts and failed or reset connections are retried up to
/// <see cref="HubOptions.MaxRetries"/> times with doubling waits; any other 4xx becomes the site's <see cref="HubException"/>
/// at once, and so does a server that refuses connections, whose host name does not resolve, or whose TLS certificate
/// is not trusted. Redirects are never followed automatically (the Hub's <c>Location</c> is metadata); the site decides where a token goes.
/// </summary>
internal sealed class HubTransport
{
    private static readonly ProductInfoHeaderValue UserAgent =
        new("ResNeStBlocks", typeof(HubTransport).Assembly.GetName().Version?.ToString(3) ?? "0");

    // One connection pool for every client of the process, both servers included: a client per load would open
    // (and leave in TIME_WAIT) new connections each time. Timeouts are per phase below, so the pool has none.
    private static readonly HttpClient Shared = Client(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),   // DNS changes are picked up
    }, disposeHandler: true);

    // A caller's handler gets one HttpClient of its own, reused for as long as the handler lives.
    private static readonly ConditionalWeakTable<HttpMessageHandler, HttpClient> ForHandler = new();

    private readonly HttpClient http;
    private readonly HubOptions options;

    public HubTransport(HubOptions options, DownloadSite site)
    {
        this.options = options;
        Site = site;
        http = options.MessageHandler is { } handler ? ForHandler.GetValue(handler, h => Client(h, disposeHandler: false)) : Shared;
    }

    /// <summary>The server's rules for tokens and error messages.</summary>
    public DownloadSite Site { get; }

    private static HttpClient Client(HttpMessageHandler handler, bool disposeHandler) =>
        new(handler, disposeHandler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };   // a whole 100 MB body may take longer than any fixed bound

    /// <summary>Sends until a non-transient answer; the caller disposes the response. Content is left unread (streamed).</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri uri, long rangeStart, HubRequest about, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, uri);
            request.Headers.UserAgent.Add(UserAgent);
            request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("identity"));   // sizes must be the file's
            if (Site.TokenFor(uri) is string token)
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (rangeStart > 0)
                request.Headers.Range = new RangeHeaderValue(rangeStart, null);

            Exception failure;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(options.Timeout);
                try
                {
                    var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
                    int status = (int)response.StatusCode;
                    if (status < 400)
                        return response;
                    if (status >= 500 || status == 429)
                    {
                        failure = new HttpRequestException($"{status} {response.ReasonPhrase}", null, response.StatusCode);
                        response.Dispose();
                    }
                    else
                    {
                        using (response)
                            throw Site.Refused(response, about);
                    }
                }
                catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
                {
                    failure = new TimeoutException($"no response within {options.Timeout.TotalSeconds:0.###} s", e);
                }
                catch (HttpRequestException e) when (e.HttpRequestError is HttpRequestError.NameResolutionError
                    || e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
                {
                    // Nothing to wait for: no server answers at this address, and a retry would only delay the same answer.
                    throw Site.NoServer(about, uri, e);
                }
                catch (HttpRequestException e) when (IsUntrusted(e))
                {
                    throw Site.Untrusted(about, uri, e);
                }
                catch (HttpRequestException e)
                {
                    failure = e;
                }
            }
            if (attempt >= options.MaxRetries)
                throw Site.Unreachable(about, uri, attempt + 1, failure);
            await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether the TLS handshake failed on the certificate (or on the protocol): the same answer on every retry.</summary>
    private static bool IsUntrusted(Exception e) =>
        e is HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } && e.InnerException is AuthenticationException;

    /// <summary>The wait before retry number <paramref name="attempt"/> + 1: <see cref="HubOptions.RetryDelay"/> doubled each time, capped.</summary>
    public TimeSpan Backoff(int attempt)
    {
        double milliseconds = options.RetryDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30));
        return TimeSpan.FromMilliseconds(Math.Min(milliseconds, options.MaxRetryDelay.TotalMilliseconds));
    }
}
