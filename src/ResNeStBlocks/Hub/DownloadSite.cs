using System;
using System.Net.Http;

namespace ResNeStBlocks.Hub;

/// <summary>
/// What differs between the servers the library downloads from: who gets the token, and how a refusal or an
/// unreachable server is explained (each names its own variables and fixes). The transfer itself (retries, resume,
/// checks, locks) is shared: <see cref="HubTransport"/> and <see cref="BlobDownloader"/>.
/// </summary>
internal abstract class DownloadSite
{
    /// <summary>How messages name the server, such as "the Hub".</summary>
    public abstract string Name { get; }

    /// <summary>The bearer token to send to <paramref name="uri"/>, or null.</summary>
    public virtual string? TokenFor(Uri uri) => null;

    /// <summary>The exception for a 4xx answer other than 429 (which is retried).</summary>
    public abstract HubException Refused(HttpResponseMessage response, HubRequest about);

    /// <summary>The exception once the retries are spent.</summary>
    public abstract HubException Unreachable(HubRequest about, Uri uri, int attempts, Exception failure);

    /// <summary>The exception when nothing serves <paramref name="uri"/> (connection refused, host name unknown): not retried.</summary>
    public abstract HubException NoServer(HubRequest about, Uri uri, HttpRequestException failure);

    /// <summary>Why nothing serves <paramref name="uri"/>, in words.</summary>
    private protected static string NoServerReason(Uri uri, HttpRequestException failure) =>
        failure.HttpRequestError == HttpRequestError.NameResolutionError
            ? $"its host name {uri.Host} does not resolve (is this machine offline?)"
            : $"it refused the connection (nothing listens at {uri.Authority})";
}

/// <summary>The Hugging Face Hub: the token goes to the endpoint only; errors follow huggingface_hub's <c>X-Error-Code</c>.</summary>
internal sealed class HuggingFaceSite(HubOptions options) : DownloadSite
{
    private readonly Uri endpoint = new(options.Endpoint.TrimEnd('/') + "/");

    public override string Name => "the Hub";

    /// <summary>Whether a request to <paramref name="uri"/> carries the token: only to the endpoint's own scheme, host and port (never to a CDN).</summary>
    public bool SendsTokenTo(Uri uri) => options.Token is not null && Uri.Compare(uri, endpoint, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;

    public override string? TokenFor(Uri uri) => SendsTokenTo(uri) ? options.Token : null;

    public override HubException Refused(HttpResponseMessage response, HubRequest about) => HubErrors.FromResponse(response, about);

    public override HubException Unreachable(HubRequest about, Uri uri, int attempts, Exception failure) =>
        new(HubErrorKind.Unreachable, about.RepoId, about.FileName,
            $"Could not download {about.FileName} from {about.RepoId}: {uri.GetLeftPart(UriPartial.Path)} failed {attempts} time(s), last with: {failure.Message}. " +
            $"Check the network, or set {HubEnvironment.Endpoint} to a reachable mirror; files already cached are used with {HubEnvironment.Offline}=1.",
            failure);

    public override HubException NoServer(HubRequest about, Uri uri, HttpRequestException failure) =>
        new(HubErrorKind.Unreachable, about.RepoId, about.FileName,
            $"Could not download {about.FileName} from {about.RepoId}: no Hub answers at {uri.GetLeftPart(UriPartial.Authority)}: {NoServerReason(uri, failure)}. " +
            $"Set {HubEnvironment.Endpoint} to a reachable Hub or mirror, or {HubEnvironment.Offline}=1 to use only files already cached.",
            failure);
}
