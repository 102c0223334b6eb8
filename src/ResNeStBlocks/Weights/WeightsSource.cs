using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using ResNeStBlocks.Hub;

namespace ResNeStBlocks.Weights;

/// <summary>
/// Where one pretrained weights file comes from and how its bytes are checked: a Hugging Face repository and file, a
/// torch.hub URL, or a local path. <see cref="FetchAsync"/> returns a local path through the matching cache, so any
/// source loads the same way: <c>module.LoadWeights(source.Fetch())</c>.
/// </summary>
public sealed record WeightsSource
{
    private WeightsSource(WeightsSourceKind kind, string location, string fileName, string? sha256, string revision)
    {
        Kind = kind;
        Location = location;
        FileName = fileName;
        Sha256 = sha256;
        Revision = revision;
    }

    /// <summary>Which kind of source this is.</summary>
    public WeightsSourceKind Kind { get; }

    /// <summary>
    /// The repository id (<c>timm/resnest50d.in1k</c>), the base URL the checkpoint is published under
    /// (<c>https://download.pytorch.org/models</c>), or the local file's directory.
    /// </summary>
    public string Location { get; }

    /// <summary>The file: <c>model.safetensors</c>, <c>deeplabv3_resnet50_coco-cd0a2569.pth</c>, or the local file's name.</summary>
    public string FileName { get; }

    /// <summary>
    /// The SHA-256 the bytes are checked against, in lowercase hex, where the source states it: for a torch.hub URL the
    /// prefix its file name carries (<c>cd0a2569</c>). Null for a Hub file, which is checked against the SHA-256 the Hub
    /// announces (its <c>X-Linked-Etag</c>) when downloaded, and for a local file.
    /// </summary>
    public string? Sha256 { get; }

    /// <summary>The Hub revision (branch, tag or commit); empty for the other kinds.</summary>
    public string Revision { get; }

    /// <summary>
    /// The source in one string, as the ONNX metadata records it: the repository id for a Hub file (whose name is timm's
    /// <c>model.safetensors</c>) or <c>repo/file</c> for another file, the URL for torch.hub, the full path for a local file.
    /// </summary>
    public string Id => Kind switch
    {
        WeightsSourceKind.HuggingFaceRepo => FileName == PretrainedWeights.FileName ? Location : $"{Location}/{FileName}",
        WeightsSourceKind.TorchHubUrl => $"{Location}/{FileName}",
        _ => Path.Combine(Location, FileName),
    };

    /// <summary>A file of a Hugging Face Hub repository.</summary>
    /// <param name="repoId">The repository, such as <c>timm/resnest50d.in1k</c>.</param>
    /// <param name="fileName">The file in it; timm's weights are <c>model.safetensors</c>.</param>
    /// <param name="revision">A branch, tag or commit hash.</param>
    /// <returns>The source.</returns>
    /// <exception cref="ArgumentException">A name is malformed.</exception>
    public static WeightsSource HuggingFace(string repoId, string fileName = PretrainedWeights.FileName, string revision = HubClient.DefaultRevision)
    {
        HubNames.Validate(repoId, fileName, revision);
        return new(WeightsSourceKind.HuggingFaceRepo, repoId, fileName, null, revision);
    }

    /// <summary>A torch.hub checkpoint URL, whose file name carries the first hex digits of its SHA-256 (<c>name-&lt;sha256 prefix&gt;.pth</c>).</summary>
    /// <param name="url">Such as <c>https://download.pytorch.org/models/deeplabv3_resnet50_coco-cd0a2569.pth</c>.</param>
    /// <returns>The source.</returns>
    /// <exception cref="ArgumentException">The URL is not absolute http or https, or its file name carries no hash prefix.</exception>
    public static WeightsSource TorchHub(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.AbsolutePath.EndsWith('/'))
            throw new ArgumentException($"A torch.hub source must be an absolute http or https URL of a file, such as {HubEnvironment.DefaultTorchModelsUrl}/deeplabv3_resnet50_coco-cd0a2569.pth; got '{url}'.", nameof(url));
        int slash = url.LastIndexOf('/');
        string fileName = Uri.UnescapeDataString(url[(slash + 1)..]);
        return new(WeightsSourceKind.TorchHubUrl, url[..slash], fileName, TorchHubClient.HashPrefix(fileName), "");
    }

    /// <summary>A weights file on this machine (safetensors or a PyTorch state dict).</summary>
    /// <param name="path">The file; made absolute against the current directory.</param>
    /// <returns>The source.</returns>
    /// <exception cref="ArgumentException">The path is empty.</exception>
    public static WeightsSource LocalFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        return new(WeightsSourceKind.LocalFile, Path.GetDirectoryName(full) ?? "", Path.GetFileName(full), null, "");
    }

    /// <summary>
    /// The local path of the file: a Hub file through huggingface_hub's cache (<see cref="HubClient"/>), a torch.hub
    /// URL through torch.hub's checkpoint folder (<see cref="TorchHubClient"/>; a URL under
    /// <see cref="HubEnvironment.DefaultTorchModelsUrl"/> is fetched from <see cref="HubOptions.TorchModelsUrl"/>, so a
    /// mirror serves it), a local file as it is.
    /// </summary>
    /// <param name="options">Endpoints, caches, token, offline mode and transport; null for the process environment's.</param>
    /// <param name="progress">Receives bytes done, total and rate while downloading.</param>
    /// <param name="cancellationToken">Stops the download; the partial file stays for a later resume.</param>
    /// <returns>The path.</returns>
    /// <exception cref="HubException">The file cannot be fetched; <see cref="HubException.Kind"/> and the message say why and what to do.</exception>
    /// <exception cref="FileNotFoundException">A local file does not exist.</exception>
    public async Task<string> FetchAsync(HubOptions? options = null, IProgress<HubDownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        switch (Kind)
        {
            case WeightsSourceKind.HuggingFaceRepo:
                using (var client = new HubClient(options))
                    return await client.DownloadAsync(Location, FileName, Revision, progress, cancellationToken).ConfigureAwait(false);
            case WeightsSourceKind.TorchHubUrl:
                options ??= new HubOptions();
                if (Location != HubEnvironment.DefaultTorchModelsUrl)
                    options = options with { TorchModelsUrl = Location };
                using (var client = new TorchHubClient(options))
                    return await client.DownloadAsync(FileName, progress, cancellationToken).ConfigureAwait(false);
            default:
                return File.Exists(Id) ? Id : throw new FileNotFoundException($"The weights file {Id} does not exist.", Id);
        }
    }

    /// <summary>Blocking form of <see cref="FetchAsync"/>.</summary>
    /// <param name="options">Endpoints, caches, token, offline mode and transport; null for the process environment's.</param>
    /// <param name="progress">Receives bytes done, total and rate while downloading.</param>
    /// <param name="cancellationToken">Stops the download.</param>
    /// <returns>The path.</returns>
    /// <exception cref="HubException">The file cannot be fetched.</exception>
    /// <exception cref="FileNotFoundException">A local file does not exist.</exception>
    public string Fetch(HubOptions? options = null, IProgress<HubDownloadProgress>? progress = null, CancellationToken cancellationToken = default) =>
        FetchAsync(options, progress, cancellationToken).GetAwaiter().GetResult();

    /// <summary>The source as <see cref="Id"/> spells it.</summary>
    /// <returns><see cref="Id"/>.</returns>
    public override string ToString() => Id;
}
