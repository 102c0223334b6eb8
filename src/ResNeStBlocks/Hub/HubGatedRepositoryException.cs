using System;

namespace ResNeStBlocks.Hub;

/// <summary>The repository is gated (403, X-Error-Code GatedRepo): its conditions must be accepted on the Hub by the token's account.</summary>
public sealed class HubGatedRepositoryException : HubException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="repoId">The repository.</param>
    /// <param name="fileName">The file in the repository.</param>
    /// <param name="message">What happened and what to do.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public HubGatedRepositoryException(string repoId, string fileName, string message, Exception? innerException = null)
        : base(repoId, fileName, message, innerException)
    {
    }
}
