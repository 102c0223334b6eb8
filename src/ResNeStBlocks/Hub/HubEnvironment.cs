using System;
using System.IO;

namespace ResNeStBlocks.Hub;

/// <summary>
/// Reads huggingface_hub's and torch.hub's environment variables with their precedence rules, so that a process
/// configured for Python's <c>huggingface_hub</c> (endpoint, cache, token, offline mode) or <c>torch.hub</c> (its
/// checkpoint folder) behaves the same here.
/// </summary>
public static class HubEnvironment
{
    /// <summary>The Hub's address when <see cref="Endpoint"/> is unset.</summary>
    public const string DefaultEndpoint = "https://huggingface.co";

    /// <summary>Base URL of the Hub or of a mirror (variable <c>HF_ENDPOINT</c>).</summary>
    public const string Endpoint = "HF_ENDPOINT";

    /// <summary>Root of huggingface_hub's files: token and default cache (variable <c>HF_HOME</c>).</summary>
    public const string Home = "HF_HOME";

    /// <summary>The cache directory itself (variable <c>HF_HUB_CACHE</c>), which wins over <see cref="Home"/>.</summary>
    public const string Cache = "HF_HUB_CACHE";

    /// <summary>The access token (variable <c>HF_TOKEN</c>), which wins over the token file.</summary>
    public const string Token = "HF_TOKEN";

    /// <summary>Where the token file is (variable <c>HF_TOKEN_PATH</c>); default <c>HF_HOME/token</c>.</summary>
    public const string TokenPath = "HF_TOKEN_PATH";

    /// <summary>Offline mode (variable <c>HF_HUB_OFFLINE</c>): <c>1</c>, <c>true</c>, <c>yes</c> or <c>on</c> forbid every request.</summary>
    public const string Offline = "HF_HUB_OFFLINE";

    /// <summary>torch's home directory (variable <c>TORCH_HOME</c>); checkpoints live in <c>TORCH_HOME/hub/checkpoints</c>.</summary>
    public const string TorchHome = "TORCH_HOME";

    /// <summary>
    /// The base URL torch.hub checkpoints are downloaded from (variable <c>RESNESTBLOCKS_TORCH_MODELS_URL</c>, this
    /// library's own: torch has none), for a mirror or a test server.
    /// </summary>
    public const string TorchModelsUrl = "RESNESTBLOCKS_TORCH_MODELS_URL";

    /// <summary>Where torchvision publishes its weights, when <see cref="TorchModelsUrl"/> is unset.</summary>
    public const string DefaultTorchModelsUrl = "https://download.pytorch.org/models";

    /// <summary>The endpoint named by <c>HF_ENDPOINT</c>, else <see cref="DefaultEndpoint"/>, without a trailing slash.</summary>
    /// <param name="variable">Reads one environment variable (null when unset).</param>
    /// <returns>The endpoint URL.</returns>
    internal static string ResolveEndpoint(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        string? value = NonEmpty(variable(Endpoint));
        return (value ?? DefaultEndpoint).TrimEnd('/');
    }

    /// <summary>
    /// The cache root as huggingface_hub computes it: <c>HF_HUB_CACHE</c>, else <c>HF_HOME/hub</c>, else
    /// <c>XDG_CACHE_HOME/huggingface/hub</c>, else <c>~/.cache/huggingface/hub</c>.
    /// </summary>
    /// <param name="variable">Reads one environment variable (null when unset).</param>
    /// <returns>The absolute cache directory.</returns>
    internal static string ResolveCacheDirectory(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        string? cache = NonEmpty(variable(Cache)) ?? NonEmpty(variable("HUGGINGFACE_HUB_CACHE"));
        return Path.GetFullPath(ExpandHome(cache ?? Path.Combine(ResolveHome(variable), "hub")));
    }

    /// <summary>
    /// The token: <c>HF_TOKEN</c>, else the first line of the token file (<c>HF_TOKEN_PATH</c>, default
    /// <c>HF_HOME/token</c>, which <c>hf auth login</c> writes); null when neither gives one.
    /// </summary>
    /// <param name="variable">Reads one environment variable (null when unset).</param>
    /// <returns>The token, or null.</returns>
    internal static string? ResolveToken(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        string? token = NonEmpty(variable(Token)?.Trim());
        if (token is not null)
            return token;
        string path = ExpandHome(NonEmpty(variable(TokenPath)) ?? Path.Combine(ResolveHome(variable), "token"));
        if (!File.Exists(path))
            return null;
        return NonEmpty(File.ReadAllText(path).Trim());
    }

    /// <summary>Whether <c>HF_HUB_OFFLINE</c> holds a true value (<c>1</c>, <c>true</c>, <c>yes</c>, <c>on</c>, any case).</summary>
    /// <param name="variable">Reads one environment variable (null when unset).</param>
    /// <returns>True in offline mode.</returns>
    internal static bool ResolveOffline(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        string? value = variable(Offline)?.Trim().ToUpperInvariant();
        return value is "1" or "TRUE" or "YES" or "ON";
    }

    /// <summary>
    /// The checkpoint folder as torch.hub computes it: <c>TORCH_HOME/hub/checkpoints</c>, <c>TORCH_HOME</c> defaulting to
    /// <c>$XDG_CACHE_HOME/torch</c>, else <c>~/.cache/torch</c>.
    /// </summary>
    /// <param name="variable">Reads one environment variable (null when unset).</param>
    /// <returns>The absolute directory.</returns>
    internal static string ResolveTorchCheckpointDirectory(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        string home = NonEmpty(variable(TorchHome)) ?? Path.Combine(NonEmpty(variable("XDG_CACHE_HOME")) ?? "~/.cache", "torch");
        return Path.GetFullPath(Path.Combine(ExpandHome(home), "hub", "checkpoints"));
    }

    /// <summary>The base URL named by <see cref="TorchModelsUrl"/>, else <see cref="DefaultTorchModelsUrl"/>, without a trailing slash.</summary>
    /// <param name="variable">Reads one environment variable (null when unset).</param>
    /// <returns>The base URL.</returns>
    internal static string ResolveTorchModelsUrl(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        return (NonEmpty(variable(TorchModelsUrl)) ?? DefaultTorchModelsUrl).TrimEnd('/');
    }

    private static string ResolveHome(Func<string, string?> variable)
    {
        string? home = NonEmpty(variable(Home));
        if (home is not null)
            return ExpandHome(home);
        string cacheRoot = NonEmpty(variable("XDG_CACHE_HOME"))
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(ExpandHome(cacheRoot), "huggingface");
    }

    /// <summary>"~" and "~/..." become the user's home, as Python's <c>os.path.expanduser</c> does; other paths are kept.</summary>
    internal static string ExpandHome(string path) =>
        path == "~" || path.StartsWith("~/", StringComparison.Ordinal)
            ? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + path[1..]
            : path;

    /// <summary>An unset or empty variable counts as unset, as in Python's <c>os.getenv(...) or default</c>.</summary>
    internal static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
