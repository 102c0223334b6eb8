using System;

namespace ResNeStBlocks.Hub;

/// <summary>The downloaded bytes do not match the size or SHA-256 announced (by the Hub, or by a torch.hub file name); nothing was cached.</summary>
public sealed class HubIntegrityException : HubException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="repoId">The repository.</param>
    /// <param name="fileName">The file in the repository.</param>
    /// <param name="message">What happened and what to do.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public HubIntegrityException(string repoId, string fileName, string message, Exception? innerException = null)
        : base(repoId, fileName, message, innerException)
    {
    }
}
