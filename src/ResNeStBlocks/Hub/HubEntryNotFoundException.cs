using System;

namespace ResNeStBlocks.Hub;

/// <summary>The repository exists but has no such file at that revision (X-Error-Code EntryNotFound), or a torch.hub server has no such checkpoint (403 or 404).</summary>
public sealed class HubEntryNotFoundException : HubException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="repoId">The repository.</param>
    /// <param name="fileName">The file in the repository.</param>
    /// <param name="message">What happened and what to do.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public HubEntryNotFoundException(string repoId, string fileName, string message, Exception? innerException = null)
        : base(repoId, fileName, message, innerException)
    {
    }
}
