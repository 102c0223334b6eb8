using System.Net.Http;

namespace ResNeStBlocks.Hub;

/// <summary>torch.hub's checkpoint server (download.pytorch.org or a mirror): no token; a missing file answers 403 or 404.</summary>
internal sealed class TorchHubSite : DownloadSite
{
    public override string Name => "the server";

    protected override string MirrorVariable => HubEnvironment.TorchModelsUrl;

    protected override string LocalFiles => "files already in the checkpoint folder";

    public override string Subject(HubRequest about) => about.FileName;

    public override string ManualUrl(HubRequest about) => $"{about.RepoId}/{about.FileName}";

    public override HubException Refused(HttpResponseMessage response, HubRequest about)
    {
        int status = (int)response.StatusCode;
        return status is 403 or 404
            ? new HubException(HubErrorKind.EntryNotFound, about.RepoId, about.FileName,
                $"{about.FileName} was not found at {about.RepoId} ({status}): check the file name (torchvision's are listed in TorchvisionWeights) or {HubEnvironment.TorchModelsUrl}.")
            : new HubException(HubErrorKind.Other, about.RepoId, about.FileName, $"{about.RepoId} answered {status} {response.ReasonPhrase} for {about.FileName}.");
    }
}
