using System;
using System.Net.Http;

namespace ResNeStBlocks.Hub;

/// <summary>torch.hub's checkpoint server (download.pytorch.org or a mirror): no token; a missing file answers 403 or 404.</summary>
internal sealed class TorchHubSite : DownloadSite
{
    public override string Name => "the server";

    public override HubException Refused(HttpResponseMessage response, HubRequest about)
    {
        int status = (int)response.StatusCode;
        return status is 403 or 404
            ? new HubException(HubErrorKind.EntryNotFound, about.RepoId, about.FileName,
                $"{about.FileName} was not found at {about.RepoId} ({status}): check the file name (torchvision's are listed in TorchvisionWeights) or {TorchHubEnvironment.ModelsUrl}.")
            : new HubException(HubErrorKind.Other, about.RepoId, about.FileName, $"{about.RepoId} answered {status} {response.ReasonPhrase} for {about.FileName}.");
    }

    public override HubException Unreachable(HubRequest about, Uri uri, int attempts, Exception failure) =>
        new(HubErrorKind.Unreachable, about.RepoId, about.FileName,
            $"Could not download {about.FileName}: {uri.GetLeftPart(UriPartial.Path)} failed {attempts} time(s), last with: {failure.Message}. " +
            $"Check the network, or set {TorchHubEnvironment.ModelsUrl} to a reachable mirror; files already in the checkpoint folder are used with {HubEnvironment.Offline}=1.",
            failure);

    public override HubException NoServer(HubRequest about, Uri uri, HttpRequestException failure) =>
        new(HubErrorKind.Unreachable, about.RepoId, about.FileName,
            $"Could not download {about.FileName}: nothing serves {uri.GetLeftPart(UriPartial.Authority)}: {NoServerReason(uri, failure)}. " +
            $"Set {TorchHubEnvironment.ModelsUrl} to a reachable mirror, or {HubEnvironment.Offline}=1 to use only files already in the checkpoint folder.",
            failure);
}
