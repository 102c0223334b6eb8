namespace ResNeStBlocks.Hub;

/// <summary>What one download is about, for messages and for deciding where the token may go.</summary>
internal sealed record HubRequest(string Endpoint, string RepoId, string FileName, string Revision, bool TokenSent);
