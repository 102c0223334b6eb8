using System;
using System.Threading;
using System.Threading.Tasks;
using ResNeStBlocks.Hub;
using static TorchSharp.torch;

namespace ResNeStBlocks.Weights;

/// <summary>
/// Loads a torch.hub checkpoint (such as torchvision's weights, <see cref="TorchvisionWeights"/>) into any module whose
/// state-dict keys are the checkpoint's: fetched through <see cref="TorchHubClient"/>, read by
/// <see cref="PyTorchCheckpoint"/>, loaded atomically by <see cref="StateDictLoader"/>.
/// </summary>
public static class TorchHubWeights
{
    /// <summary>Downloads (or finds in torch.hub's folder) a checkpoint and loads it into <paramref name="module"/>.</summary>
    /// <param name="module">The module to load into.</param>
    /// <param name="fileName">The checkpoint, such as <see cref="TorchvisionWeights.DeepLabV3ResNet50"/>.</param>
    /// <param name="options">Base URL, checkpoint folder and offline mode; null for the process environment's.</param>
    /// <param name="strict">Fail on any missing or unexpected key (shapes and dtypes must always fit).</param>
    /// <param name="skip">Keys to leave as they are (for example a classifier of another class count).</param>
    /// <param name="progress">Receives bytes done, total and rate while downloading.</param>
    /// <param name="cancellationToken">Stops the download.</param>
    /// <returns>The missing, unexpected and skipped keys.</returns>
    /// <exception cref="HubException">The checkpoint cannot be fetched; the subclass and message say why.</exception>
    /// <exception cref="PyTorchCheckpointFormatException">The checkpoint is malformed or not a plain state dict; the module is unchanged.</exception>
    /// <exception cref="StateDictMismatchException">The weights do not fit the module; it is unchanged.</exception>
    public static async Task<LoadResult> LoadTorchHubCheckpointAsync(this nn.Module module, string fileName, HubOptions? options = null,
        bool strict = true, Func<string, bool>? skip = null, IProgress<HubDownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(module);
        string path;
        using (var client = new TorchHubClient(options))
            path = await client.DownloadAsync(fileName, progress, cancellationToken).ConfigureAwait(false);
        return StateDictLoader.LoadFile(module, path, strict, skip);
    }

    /// <summary>Blocking form of <see cref="LoadTorchHubCheckpointAsync"/>.</summary>
    /// <param name="module">The module to load into.</param>
    /// <param name="fileName">The checkpoint, such as <see cref="TorchvisionWeights.DeepLabV3ResNet50"/>.</param>
    /// <param name="options">Base URL, checkpoint folder and offline mode; null for the process environment's.</param>
    /// <param name="strict">Fail on any missing or unexpected key.</param>
    /// <param name="skip">Keys to leave as they are.</param>
    /// <param name="progress">Receives bytes done, total and rate while downloading.</param>
    /// <param name="cancellationToken">Stops the download.</param>
    /// <returns>The missing, unexpected and skipped keys.</returns>
    /// <exception cref="HubException">The checkpoint cannot be fetched.</exception>
    /// <exception cref="PyTorchCheckpointFormatException">The checkpoint is malformed; the module is unchanged.</exception>
    /// <exception cref="StateDictMismatchException">The weights do not fit the module; it is unchanged.</exception>
    public static LoadResult LoadTorchHubCheckpoint(this nn.Module module, string fileName, HubOptions? options = null,
        bool strict = true, Func<string, bool>? skip = null, IProgress<HubDownloadProgress>? progress = null, CancellationToken cancellationToken = default) =>
        LoadTorchHubCheckpointAsync(module, fileName, options, strict, skip, progress, cancellationToken).GetAwaiter().GetResult();
}
