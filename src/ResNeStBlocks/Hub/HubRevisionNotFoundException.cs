using System;

namespace ResNeStBlocks.Hub;

/// <summary>The repository exists but has no such branch, tag or commit (X-Error-Code RevisionNotFound).</summary>
public sealed class HubRevisionNotFoundException : HubException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="repoId">The repository.</param>
    /// <param name="fileName">The file in the repository.</param>
    /// <param name="message">What happened and what to do.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public HubRevisionNotFoundException(string repoId, string fileName, string message, Exception? innerException = null)
        : base(repoId, fileName, message, innerException)
    {
    }
}
