using System;

namespace ResNeStBlocks.Hub;

/// <summary>The repository does not exist, or is private and the token cannot see it (X-Error-Code RepoNotFound).</summary>
public sealed class HubRepositoryNotFoundException : HubException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="repoId">The repository.</param>
    /// <param name="fileName">The file in the repository.</param>
    /// <param name="message">What happened and what to do.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public HubRepositoryNotFoundException(string repoId, string fileName, string message, Exception? innerException = null)
        : base(repoId, fileName, message, innerException)
    {
    }
}
