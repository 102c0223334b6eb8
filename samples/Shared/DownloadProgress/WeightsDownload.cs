using System;
using ResNeStBlocks.Weights;
using ResNeStBlocks.Hub;
using ResNeStBlocks.Zoo;

namespace ResNeStBlocks.Samples.Progress;

/// <summary>
/// Fetches weights through the library's clients, showing the transfer only when there is one: timm's
/// <c>model.safetensors</c> from the Hugging Face Hub, or a torch.hub checkpoint (torchvision's <c>.pth</c>).
/// </summary>
public static class WeightsDownload
{
    private const string HubCache = "the Hugging Face cache", TorchHubFolder = "torch.hub's checkpoint folder";

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
        bool quiet = client.Options.Offline || client.TryGetCached(repoId, PretrainedWeights.FileName) is not null;
        return Show(quiet, $"{repoId}/{PretrainedWeights.FileName}", HubCache, display,
            progress => client.Download(repoId, PretrainedWeights.FileName, progress: progress));
    }

    /// <summary>
    /// The checkpoint <paramref name="fileName"/> in torch.hub's folder (<c>$TORCH_HOME/hub/checkpoints</c>), downloaded
    /// first (shown by <paramref name="display"/>) when it is not there; the SHA-256 prefix its name carries is checked.
    /// </summary>
    /// <param name="fileName">The checkpoint, such as <c>deeplabv3_resnet50_coco-cd0a2569.pth</c> (see <see cref="TorchvisionWeights"/>).</param>
    /// <param name="display">Shows the download.</param>
    /// <param name="hub">Base URL, checkpoint folder and offline mode; null for the environment's.</param>
    /// <returns>The file's path in the folder.</returns>
    /// <exception cref="HubException">The file cannot be downloaded.</exception>
    public static string FetchCheckpoint(string fileName, IDownloadDisplay display, HubOptions? hub = null)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(display);
        using var client = new TorchHubClient(hub);
        bool quiet = client.Options.Offline || client.TryGetCached(fileName) is not null;
        return Show(quiet, fileName, TorchHubFolder, display, progress => client.Download(fileName, progress));
    }

    // Offline or cached there is nothing to show: the client returns the file or says it is missing.
    private static string Show(bool quiet, string description, string destination, IDownloadDisplay display,
        Func<IProgress<HubDownloadProgress>?, string> download) =>
        quiet ? download(null) : display.Show(description, destination, download);
}
