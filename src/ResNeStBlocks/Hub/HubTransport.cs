using System;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace ResNeStBlocks.Hub;

/// <summary>
/// Sends one request with bounded retries: 5xx, 429, timeouts and failed or reset connections are retried up to
/// <see cref="HubOptions.MaxRetries"/> times with doubling waits; any other 4xx becomes its <see cref="HubException"/> at once,
/// and so does an endpoint that refuses connections or whose host name does not resolve.
/// Redirects are never followed automatically (the Hub's <c>Location</c> is metadata); the token goes to the endpoint's host only.
/// </summary>
internal sealed class HubTransport : IDisposable
{
    private readonly HttpClient http;
    private readonly HubOptions options;
    private readonly Uri endpoint;

    public HubTransport(HubOptions options)
    {
        this.options = options;
        endpoint = new Uri(options.Endpoint.TrimEnd('/') + "/");
        http = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = options.Timeout,
        })
        {
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,   // per-phase timeouts below; a whole 100 MB body may take longer
        };
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("ResNeStBlocks", typeof(HubTransport).Assembly.GetName().Version?.ToString(3) ?? "0"));
    }

    /// <summary>Whether a request to <paramref name="uri"/> carries the token: only to the endpoint's own scheme, host and port (never to a CDN).</summary>
    public bool SendsTokenTo(Uri uri) => options.Token is not null && Uri.Compare(uri, endpoint, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;

    /// <summary>Sends until a non-transient answer; the caller disposes the response. Content is left unread (streamed).</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri uri, long rangeStart, HubRequest about, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, uri);
            request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("identity"));   // sizes must be the file's
            if (SendsTokenTo(uri))
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.Token);
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
                            throw HubErrors.FromResponse(response, about);
                    }
                }
                catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
                {
                    failure = new TimeoutException($"no response within {options.Timeout.TotalSeconds:0.###} s", e);
                }
                catch (HttpRequestException e) when (e.HttpRequestError is HttpRequestError.NameResolutionError
                    || e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
                {
                    // Nothing to wait for: no Hub answers at this address, and a retry would only delay the same answer.
                    throw NoHub(about, e);
                }
                catch (HttpRequestException e)
                {
                    failure = e;
                }
            }
            if (attempt >= options.MaxRetries)
                throw Unreachable(about, uri, attempt + 1, failure);
            await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The wait before retry number <paramref name="attempt"/> + 1: <see cref="HubOptions.RetryDelay"/> doubled each time, capped.</summary>
    public TimeSpan Backoff(int attempt)
    {
        double milliseconds = options.RetryDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30));
        return TimeSpan.FromMilliseconds(Math.Min(milliseconds, options.MaxRetryDelay.TotalMilliseconds));
    }

    /// <summary>The endpoint refused the connection or its host name does not resolve (an offline machine, a wrong <c>HF_ENDPOINT</c>).</summary>
    private HubException NoHub(HubRequest about, HttpRequestException failure)
    {
        string address = endpoint.GetLeftPart(UriPartial.Authority);
        string what = failure.HttpRequestError == HttpRequestError.NameResolutionError
            ? $"its host name {endpoint.Host} does not resolve (is this machine offline?)"
            : $"it refused the connection (nothing listens at {endpoint.Authority})";
        return new HubException(about.RepoId, about.FileName,
            $"Could not download {about.FileName} from {about.RepoId}: no Hub answers at {address}: {what}. " +
            $"Set {HubEnvironment.Endpoint} to a reachable Hub or mirror, or {HubEnvironment.Offline}=1 to use only files already cached.",
            failure);
    }

    public static HubException Unreachable(HubRequest about, Uri uri, int attempts, Exception failure) =>
        new(about.RepoId, about.FileName,
            $"Could not download {about.FileName} from {about.RepoId}: {uri.GetLeftPart(UriPartial.Path)} failed {attempts} time(s), last with: {failure.Message}. " +
            $"Check the network, or set {HubEnvironment.Endpoint} to a reachable mirror; files already cached are used with {HubEnvironment.Offline}=1.",
            failure);

    public void Dispose() => http.Dispose();
}
