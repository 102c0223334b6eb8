using System;
using System.IO;

namespace ResNeStBlocks.Hub;

/// <summary>
/// Where torch.hub keeps downloaded checkpoints, computed as Python's <c>torch.hub</c> does, so that a file fetched by
/// <c>torchvision.models.segmentation.deeplabv3_resnet50(weights=...)</c> is found here with no request, and the
/// other way round: <c>$TORCH_HOME/hub/checkpoints/&lt;file&gt;</c>, <c>TORCH_HOME</c> defaulting to
/// <c>$XDG_CACHE_HOME/torch</c>, else <c>~/.cache/torch</c>.
/// </summary>
public static class TorchHubEnvironment
{
    /// <summary>torch's home directory (variable <c>TORCH_HOME</c>).</summary>
    public const string Home = "TORCH_HOME";

    /// <summary>
    /// The base URL checkpoints are downloaded from (variable <c>RESNESTBLOCKS_TORCH_MODELS_URL</c>, this library's own:
    /// torch has none), for a mirror or a test server.
    /// </summary>
    public const string ModelsUrl = "RESNESTBLOCKS_TORCH_MODELS_URL";

    /// <summary>Where torchvision publishes its weights, when <see cref="ModelsUrl"/> is unset.</summary>
    public const string DefaultModelsUrl = "https://download.pytorch.org/models";

    /// <summary>The checkpoint folder as torch.hub computes it: <c>TORCH_HOME/hub/checkpoints</c>.</summary>
    /// <param name="variable">Reads one environment variable (null when unset).</param>
    /// <returns>The absolute directory.</returns>
    internal static string ResolveCheckpointDirectory(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        string home = HubEnvironment.NonEmpty(variable(Home))
            ?? Path.Combine(HubEnvironment.NonEmpty(variable("XDG_CACHE_HOME")) ?? "~/.cache", "torch");
        return Path.GetFullPath(Path.Combine(HubEnvironment.ExpandHome(home), "hub", "checkpoints"));
    }

    /// <summary>The base URL named by <see cref="ModelsUrl"/>, else <see cref="DefaultModelsUrl"/>, without a trailing slash.</summary>
    /// <param name="variable">Reads one environment variable (null when unset).</param>
    /// <returns>The base URL.</returns>
    internal static string ResolveModelsUrl(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        return (HubEnvironment.NonEmpty(variable(ModelsUrl)) ?? DefaultModelsUrl).TrimEnd('/');
    }
}
