using System;
using System.Net.Http;

namespace ResNeStBlocks.Hub;

/// <summary>
/// What differs between the servers the library downloads from: who gets the token, how a refusal reads, which
/// variable names a mirror and where fetched files are kept. How a failure is explained is shared, and each
/// explanation names the manual route (download the file elsewhere, then <c>LoadWeights(path)</c>). The transfer itself
/// (retries, resume, checks, locks) is shared too: <see cref="HubTransport"/> and <see cref="BlobDownloader"/>.
/// </summary>
internal abstract class DownloadSite
{
    /// <summary>How messages name the server, such as "the Hub".</summary>
    public abstract string Name { get; }

    /// <summary>The environment variable that points the client at a mirror.</summary>
    protected abstract string MirrorVariable { get; }

    /// <summary>Where files fetched before are found, as messages say it: "files already cached".</summary>
    protected abstract string LocalFiles { get; }

    /// <summary>The file as messages name it, with its repository where it has one.</summary>
    public abstract string Subject(HubRequest about);

    /// <summary>The URL a person can open elsewhere to fetch the file by hand.</summary>
    public abstract string ManualUrl(HubRequest about);

    /// <summary>The bearer token to send to <paramref name="uri"/>, or null.</summary>
    public virtual string? TokenFor(Uri uri) => null;

    /// <summary>The exception for a 4xx answer other than 429 (which is retried).</summary>
    public abstract HubException Refused(HttpResponseMessage response, HubRequest about);

    /// <summary>The last sentence of every failure: the file can be fetched by hand and loaded from its path.</summary>
    public string ManualRoute(HubRequest about) =>
        $"Or download {ManualUrl(about)} on a machine that can reach it and load the file with module.LoadWeights(path).";

    /// <summary>The exception once the retries are spent.</summary>
    public HubException Unreachable(HubRequest about, Uri uri, int attempts, Exception failure) =>
        new(HubErrorKind.Unreachable, about.RepoId, about.FileName,
            $"Could not download {Subject(about)}: {uri.GetLeftPart(UriPartial.Path)} failed {attempts} time(s), last with: {failure.Message}. " +
            $"Check the network, or set {MirrorVariable} to a reachable mirror; {LocalFiles} are used with {HubEnvironment.Offline}=1. {ManualRoute(about)}",
            failure);

    /// <summary>The exception when nothing serves <paramref name="uri"/> (connection refused, host name unknown): not retried.</summary>
    public HubException NoServer(HubRequest about, Uri uri, HttpRequestException failure)
    {
        string reason = failure.HttpRequestError == HttpRequestError.NameResolutionError
            ? $"its host name {uri.Host} does not resolve (is this machine offline?)"
            : $"it refused the connection (nothing listens at {uri.Authority})";
        return new(HubErrorKind.Unreachable, about.RepoId, about.FileName,
            $"Could not download {Subject(about)}: nothing answers at {uri.GetLeftPart(UriPartial.Authority)}: {reason}. " +
            $"Set {MirrorVariable} to a reachable mirror, or {HubEnvironment.Offline}=1 to use only {LocalFiles}. {ManualRoute(about)}",
            failure);
    }

    /// <summary>
    /// The exception when the server's TLS certificate is not trusted: not retried, since every retry meets the same
    /// certificate (a proxy that intercepts TLS, a mirror with a private CA, a wrong clock).
    /// </summary>
    public HubException Untrusted(HubRequest about, Uri uri, HttpRequestException failure) =>
        new(HubErrorKind.Unreachable, about.RepoId, about.FileName,
            $"Could not download {Subject(about)}: the TLS certificate of {uri.Authority} was not accepted ({failure.InnerException?.Message ?? failure.Message}); " +
            "not retried, as every retry would meet the same certificate. If a proxy or a mirror presents a certificate of its own, add its root " +
            $"certificate to this machine's trust store. {ManualRoute(about)}",
            failure);
}

/// <summary>The Hugging Face Hub: the token goes to the endpoint only; errors follow huggingface_hub's <c>X-Error-Code</c>.</summary>
internal sealed class HuggingFaceSite(HubOptions options) : DownloadSite
{
    private readonly Uri endpoint = new(options.Endpoint.TrimEnd('/') + "/");

    public override string Name => "the Hub";

    protected override string MirrorVariable => HubEnvironment.Endpoint;

    protected override string LocalFiles => "files already cached";

    public override string Subject(HubRequest about) => $"{about.FileName} from {about.RepoId}";

    public override string ManualUrl(HubRequest about) => HubNames.ResolveUrl(about.Endpoint, about.RepoId, about.FileName, about.Revision).ToString();

    /// <summary>Whether a request to <paramref name="uri"/> carries the token: only to the endpoint's own scheme, host and port (never to a CDN).</summary>
    public bool SendsTokenTo(Uri uri) => options.Token is not null && Uri.Compare(uri, endpoint, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;

    public override string? TokenFor(Uri uri) => SendsTokenTo(uri) ? options.Token : null;

    public override HubException Refused(HttpResponseMessage response, HubRequest about) => HubErrors.FromResponse(response, about);
}
