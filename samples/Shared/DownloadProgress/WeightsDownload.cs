using System;
using ResNeStBlocks.Weights;
using ResNeStBlocks.Hub;
using ResNeStBlocks.Zoo;

namespace ResNeStBlocks.Samples.Progress;

/// <summary>Fetches timm's <c>model.safetensors</c> through the library's Hub client, showing the transfer only when there is one.</summary>
public static class WeightsDownload
{
    /// <summary>The cached <c>model.safetensors</c> of <paramref name="repoId"/>, downloaded first (shown by <paramref name="display"/>) when it is not cached.</summary>
    /// <param name="repoId">The Hub repository, such as <c>timm/resnest50d.in1k</c>.</param>
    /// <param name="display">Shows the download.</param>
    /// <param name="hub">Endpoint, cache, token and offline mode; null for the environment's.</param>
    /// <returns>The file's path in the cache.</returns>
    /// <exception cref="HubException">The file cannot be downloaded.</exception>
    public static string Fetch(string repoId, IDownloadDisplay display, HubOptions? hub = null)
    {
        ArgumentNullException.ThrowIfNull(repoId);
        ArgumentNullException.ThrowIfNull(display);
        using var client = new HubClient(hub);
        // Offline, there is nothing to show: the client returns the cached file or says it is missing.
        if (client.Options.Offline || client.TryGetCached(repoId, PretrainedWeights.FileName) is not null)
            return client.Download(repoId, PretrainedWeights.FileName);
        return display.Show($"{repoId}/{PretrainedWeights.FileName}", progress => client.Download(repoId, PretrainedWeights.FileName, progress: progress));
    }
}
