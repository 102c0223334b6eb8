using System;

namespace ResNeStBlocks.Hub;

/// <summary>
/// Where and how <see cref="TorchHubClient"/> fetches torch.hub checkpoints. Defaults come from the environment (see
/// <see cref="TorchHubEnvironment"/>), read when the options object is created; set a property to override one.
/// Retries and timeouts are those of <see cref="DownloadOptions"/>.
/// </summary>
public sealed record TorchHubOptions : DownloadOptions
{
    /// <summary>Options from the process environment.</summary>
    public TorchHubOptions() : this(Environment.GetEnvironmentVariable)
    {
    }

    /// <summary>Options from any variable source (a dictionary in tests, for example).</summary>
    /// <param name="variable">Reads one environment variable (null when unset).</param>
    internal TorchHubOptions(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        ModelsUrl = TorchHubEnvironment.ResolveModelsUrl(variable);
        CheckpointDirectory = TorchHubEnvironment.ResolveCheckpointDirectory(variable);
        Offline = HubEnvironment.ResolveOffline(variable);
    }

    /// <summary>Base URL of the checkpoints (<c>RESNESTBLOCKS_TORCH_MODELS_URL</c>, default <c>https://download.pytorch.org/models</c>).</summary>
    public string ModelsUrl { get; init; }

    /// <summary>The folder shared with Python's torch.hub (<c>$TORCH_HOME/hub/checkpoints</c>).</summary>
    public string CheckpointDirectory { get; init; }

    /// <summary>
    /// When true no request is made: a checkpoint in <see cref="CheckpointDirectory"/> is used, anything else fails.
    /// Defaults to <c>HF_HUB_OFFLINE</c>, the one offline switch of this library (torch.hub has none).
    /// </summary>
    public bool Offline { get; init; }
}
