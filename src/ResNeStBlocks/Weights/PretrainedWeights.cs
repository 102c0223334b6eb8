using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ResNeStBlocks.Hub;
using static TorchSharp.torch;

namespace ResNeStBlocks.Weights;

/// <summary>
/// Loads published weights into any module whose state-dict keys are the file's: timm's <c>model.safetensors</c> from a
/// Hugging Face repository into a zoo model or a backbone built by hand, or any <see cref="WeightsSource"/>, fetched
/// through its cache.
/// </summary>
public static class PretrainedWeights
{
    /// <summary>The weights file of a timm repository.</summary>
    public const string FileName = "model.safetensors";

    /// <summary>
    /// Downloads (or finds in the cache) <c>model.safetensors</c> of <paramref name="repoId"/> and loads it. As in
    /// timm, a classifier (<c>fc.*</c>) whose shape differs from the module's, or that the module lacks (a headless
    /// backbone), is left out; every other key must fit exactly.
    /// </summary>
    /// <param name="module">The module to load into.</param>
    /// <param name="repoId">The repository, such as <c>timm/resnest50d.in1k</c>.</param>
    /// <param name="hub">Endpoint, cache, token and offline mode; null for the process environment's.</param>
    /// <param name="progress">Receives bytes done, total and rate while downloading.</param>
    /// <param name="cancellationToken">Stops the download.</param>
    /// <returns>The missing, unexpected and skipped (classifier) keys.</returns>
    /// <exception cref="HubException">The weights cannot be fetched; the subclass and message say why.</exception>
    /// <exception cref="StateDictMismatchException">The weights do not fit the module; it is unchanged.</exception>
    public static async Task<LoadResult> LoadPretrainedAsync(this nn.Module module, string repoId, HubOptions? hub = null,
        IProgress<HubDownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repoId);
        return await module.LoadPretrainedAsync(WeightsSource.HuggingFace(repoId), hub, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Fetches (or finds in its cache) the file of <paramref name="source"/> and loads it. As in timm, a classifier
    /// (<c>fc.*</c>) whose shape differs from the module's, or that the module lacks (a headless backbone), is left out;
    /// every other key must fit exactly.
    /// </summary>
    /// <param name="module">The module to load into.</param>
    /// <param name="source">Where the weights are, such as <c>ModelZoo.Pretrained("resnest50d").Source</c>.</param>
    /// <param name="hub">Endpoints, caches, token and offline mode; null for the process environment's.</param>
    /// <param name="progress">Receives bytes done, total and rate while downloading.</param>
    /// <param name="cancellationToken">Stops the download.</param>
    /// <returns>The missing, unexpected and skipped (classifier) keys.</returns>
    /// <exception cref="HubException">The weights cannot be fetched; the subclass and message say why.</exception>
    /// <exception cref="StateDictMismatchException">The weights do not fit the module; it is unchanged.</exception>
    public static async Task<LoadResult> LoadPretrainedAsync(this nn.Module module, WeightsSource source, HubOptions? hub = null,
        IProgress<HubDownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(source);
        string path = await source.FetchAsync(hub, progress, cancellationToken).ConfigureAwait(false);
        return ClassifierKeys.LoadSkippingUnfit(module, path);
    }

    /// <summary>Blocking form of <see cref="LoadPretrainedAsync(nn.Module, string, HubOptions?, IProgress{HubDownloadProgress}?, CancellationToken)"/>.</summary>
    /// <param name="module">The module to load into.</param>
    /// <param name="repoId">The repository, such as <c>timm/resnest50d.in1k</c>.</param>
    /// <param name="hub">Endpoint, cache, token and offline mode; null for the process environment's.</param>
    /// <param name="progress">Receives bytes done, total and rate while downloading.</param>
    /// <param name="cancellationToken">Stops the download.</param>
    /// <returns>The missing, unexpected and skipped (classifier) keys.</returns>
    /// <exception cref="HubException">The weights cannot be fetched; the subclass and message say why.</exception>
    /// <exception cref="StateDictMismatchException">The weights do not fit the module; it is unchanged.</exception>
    public static LoadResult LoadPretrained(this nn.Module module, string repoId, HubOptions? hub = null,
        IProgress<HubDownloadProgress>? progress = null, CancellationToken cancellationToken = default) =>
        LoadPretrainedAsync(module, repoId, hub, progress, cancellationToken).GetAwaiter().GetResult();
}
