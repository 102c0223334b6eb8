using System.Linq;
using System.Net.Http;

namespace ResNeStBlocks.Hub;

/// <summary>
/// Turns a 4xx answer into the exception that tells the user what to do. The Hub's <c>X-Error-Code</c> header
/// decides when present (as in huggingface_hub); otherwise the status code does.
/// </summary>
internal static class HubErrors
{
    public static HubException FromResponse(HttpResponseMessage response, HubRequest request)
    {
        string? code = Header(response, "X-Error-Code");
        int status = (int)response.StatusCode;
        string repo = request.RepoId, file = request.FileName, revision = request.Revision;
        string tokenAdvice = request.TokenSent
            ? "the token that was sent (HF_TOKEN, or the token file under HF_HOME) cannot see it"
            : "no token was sent: set HF_TOKEN (or log in with `hf auth login`, which writes HF_HOME/token) if it is private";
        return code switch
        {
            "GatedRepo" => Gated(repo, file, request.Endpoint, status),
            "RepoNotFound" => new HubException(HubErrorKind.RepositoryNotFound, repo, file,
                $"Repository {repo} was not found on {request.Endpoint} ({status}): check its name (timm's weights are named like timm/resnest50d.in1k); {tokenAdvice}."),
            "EntryNotFound" => EntryNotFound(request, status),
            "RevisionNotFound" => new HubException(HubErrorKind.RevisionNotFound, repo, file,
                $"Revision '{revision}' was not found in {repo} ({status}): use an existing branch, tag or commit hash, such as 'main'."),
            _ when status == 401 => new HubException(HubErrorKind.Unauthorized, repo, file, request.TokenSent
                ? $"The Hub rejected the token for {repo} (401 Unauthorized): the token in HF_TOKEN (or the token file under HF_HOME) is invalid or expired; create a new one at https://huggingface.co/settings/tokens."
                : $"The Hub requires authentication for {repo} (401 Unauthorized): the repository is private or does not exist; set HF_TOKEN (or log in with `hf auth login`) to a token that can read it."),
            _ when status == 403 => Gated(repo, file, request.Endpoint, status),
            _ when status == 404 => new HubException(HubErrorKind.EntryNotFound, repo, file,
                $"{request.Endpoint} answered 404 for {file} in {repo} at revision '{revision}' without the Hub's X-Error-Code: a mirror ({HubEnvironment.Endpoint}) " +
                $"that lacks the file, or no Hub at all. Check the file name and the revision, and {HubEnvironment.Endpoint} (unset, it is {HubEnvironment.DefaultEndpoint})."),
            _ => new HubException(HubErrorKind.Other, repo, file, $"The Hub answered {status} {response.ReasonPhrase} for {file} in {repo}."),
        };
    }

    private static HubException Gated(string repo, string file, string endpoint, int status) =>
        new(HubErrorKind.GatedRepository, repo, file,
            $"{repo} is a gated repository ({status}): accept its conditions at {endpoint}/{repo} while logged in, then set HF_TOKEN (or the token file under HF_HOME) to a token of that account.");

    private static HubException EntryNotFound(HubRequest request, int status) =>
        new(HubErrorKind.EntryNotFound, request.RepoId, request.FileName,
            $"{request.FileName} was not found in {request.RepoId} at revision '{request.Revision}' on {request.Endpoint} ({status}): check the file name and the revision.");

    public static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault()
        : response.Content.Headers.TryGetValues(name, out var contentValues) ? contentValues.FirstOrDefault()
        : null;
}
