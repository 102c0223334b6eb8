using System;

namespace ResNeStBlocks.Hub;

/// <summary>The Hub answered 401 Unauthorized: the token is missing, invalid or expired, or the repository is private.</summary>
public sealed class HubUnauthorizedException : HubException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="repoId">The repository.</param>
    /// <param name="fileName">The file in the repository.</param>
    /// <param name="message">What happened and what to do.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public HubUnauthorizedException(string repoId, string fileName, string message, Exception? innerException = null)
        : base(repoId, fileName, message, innerException)
    {
    }
}
