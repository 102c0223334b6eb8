using System;
using System.Net.Http;

namespace ResNeStBlocks.Hub;

/// <summary>
/// Where and how the library fetches pretrained weights, from the Hugging Face Hub (<see cref="HubClient"/>) and from
/// torch.hub's checkpoint server (<see cref="TorchHubClient"/>) alike: one options object, one offline switch, one
/// retry policy and one connection pool for both. Every default comes from the environment variables Python's
/// huggingface_hub and torch.hub read (see <see cref="HubEnvironment"/>), read when the options object is created; set a
/// property to override one without touching the process environment.
/// </summary>
public sealed record HubOptions
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
        TorchModelsUrl = HubEnvironment.ResolveTorchModelsUrl(variable);
        TorchCheckpointDirectory = HubEnvironment.ResolveTorchCheckpointDirectory(variable);
        Offline = HubEnvironment.ResolveOffline(variable);
    }

    /// <summary>Base URL of the Hugging Face Hub (<c>HF_ENDPOINT</c>, default <c>https://huggingface.co</c>).</summary>
    public string Endpoint { get; init; }

    /// <summary>The cache shared with Python's huggingface_hub (<c>HF_HUB_CACHE</c>, <c>HF_HOME/hub</c>, ...).</summary>
    public string CacheDirectory { get; init; }

    /// <summary>Access token sent as <c>Authorization: Bearer</c> to <see cref="Endpoint"/> only (<c>HF_TOKEN</c> or the token file); null for none.</summary>
    public string? Token { get; init; }

    /// <summary>
    /// When true, a branch or tag found in the Hub's cache is re-resolved with one HEAD request (huggingface_hub's
    /// behaviour, which picks up new commits). When false (default) a cached revision is used with no request at
    /// all. A 40-hex commit hash is immutable and never re-resolved.
    /// </summary>
    public bool CheckForUpdates { get; init; }

    /// <summary>Base URL of torch.hub checkpoints (<c>RESNESTBLOCKS_TORCH_MODELS_URL</c>, default <c>https://download.pytorch.org/models</c>).</summary>
    public string TorchModelsUrl { get; init; }

    /// <summary>The checkpoint folder shared with Python's torch.hub (<c>$TORCH_HOME/hub/checkpoints</c>).</summary>
    public string TorchCheckpointDirectory { get; init; }

    /// <summary>
    /// When true (<c>HF_HUB_OFFLINE=1</c>, the one offline switch of this library: torch.hub has none) no request is
    /// made: files already cached or in the checkpoint folder are used, anything else fails.
    /// </summary>
    public bool Offline { get; init; }

    /// <summary>How many times a transient failure (5xx, 429, timeout, reset connection) is retried; 5 by default.</summary>
    public int MaxRetries { get; init; } = 5;

    /// <summary>Wait before the first retry; doubled on each further one up to <see cref="MaxRetryDelay"/>. 1 s by default.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between two retries; 8 s by default.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>Longest wait for a response's headers or for the next piece of a body; 30 s by default.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The handler that sends the requests (a proxy, a test double), or null for the library's own connection pool,
    /// shared by every client of the process. The handler must not follow redirects (the Hub's <c>Location</c> is
    /// metadata, and a token must not follow a redirect to another host); it is not disposed by the library.
    /// </summary>
    public HttpMessageHandler? MessageHandler { get; init; }

    /// <summary>Checks every setting, naming the property in the message.</summary>
    /// <param name="parameterName">The client constructor's parameter that carried the options.</param>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    internal void Validate(string parameterName)
    {
        RequireHttpUrl(nameof(Endpoint), Endpoint, HubEnvironment.DefaultEndpoint, parameterName);
        RequireHttpUrl(nameof(TorchModelsUrl), TorchModelsUrl, HubEnvironment.DefaultTorchModelsUrl, parameterName);
        RequireDirectory(nameof(CacheDirectory), CacheDirectory, parameterName);
        RequireDirectory(nameof(TorchCheckpointDirectory), TorchCheckpointDirectory, parameterName);
        if (MaxRetries < 0)
            throw new ArgumentException($"HubOptions.MaxRetries must be 0 or more; got {MaxRetries}.", parameterName);
        if (Timeout <= TimeSpan.Zero || RetryDelay < TimeSpan.Zero || MaxRetryDelay < TimeSpan.Zero)
            throw new ArgumentException(
                $"HubOptions.Timeout must be positive and RetryDelay and MaxRetryDelay not negative; got {Timeout}, {RetryDelay} and {MaxRetryDelay}.", parameterName);
        if (MessageHandler is SocketsHttpHandler { AllowAutoRedirect: true } or HttpClientHandler { AllowAutoRedirect: true })
            throw new ArgumentException("HubOptions.MessageHandler must not follow redirects: set its AllowAutoRedirect to false.", parameterName);
    }

    private static void RequireHttpUrl(string property, string value, string example, string parameterName)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            throw new ArgumentException($"HubOptions.{property} must be an absolute http or https URL, such as {example}; got '{value}'.", parameterName);
    }

    private static void RequireDirectory(string property, string value, string parameterName)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw new ArgumentException($"HubOptions.{property} must name a directory; got an empty string.", parameterName);
    }
}
