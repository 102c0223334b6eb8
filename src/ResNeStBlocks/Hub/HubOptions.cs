using System;

namespace ResNeStBlocks.Hub;

/// <summary>
/// Where and how <see cref="HubClient"/> fetches files. Every default comes from huggingface_hub's environment
/// variables (see <see cref="HubEnvironment"/>), read when the options object is created; set a property to
/// override one without touching the process environment. Retries and timeouts are those of <see cref="DownloadOptions"/>.
/// </summary>
public sealed record HubOptions : DownloadOptions
{
    /// <summary>Options from the process environment.</summary>
    public HubOptions() : this(Environment.GetEnvironmentVariable)
    {
    }

    /// <summary>Options from any variable source (a dictionary in tests, for example).</summary>
    /// <param name="variable">Reads one environment variable (null when unset).</param>
    internal HubOptions(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        Endpoint = HubEnvironment.ResolveEndpoint(variable);
        CacheDirectory = HubEnvironment.ResolveCacheDirectory(variable);
        Token = HubEnvironment.ResolveToken(variable);
        Offline = HubEnvironment.ResolveOffline(variable);
    }

    /// <summary>Base URL of the Hub (<c>HF_ENDPOINT</c>, default <c>https://huggingface.co</c>).</summary>
    public string Endpoint { get; init; }

    /// <summary>The cache shared with Python's huggingface_hub (<c>HF_HUB_CACHE</c>, <c>HF_HOME/hub</c>, ...).</summary>
    public string CacheDirectory { get; init; }

    /// <summary>Access token sent as <c>Authorization: Bearer</c> to the endpoint only (<c>HF_TOKEN</c> or the token file); null for none.</summary>
    public string? Token { get; init; }

    /// <summary>When true (<c>HF_HUB_OFFLINE=1</c>) no request is made: cached files resolve, anything else fails.</summary>
    public bool Offline { get; init; }

    /// <summary>
    /// When true, a branch or tag found in the cache is re-resolved with one HEAD request (huggingface_hub's
    /// behaviour, which picks up new commits). When false (default) a cached revision is used with no request at
    /// all. A 40-hex commit hash is immutable and never re-resolved.
    /// </summary>
    public bool CheckForUpdates { get; init; }
}
