using System;

namespace ResNeStBlocks.Hub;

/// <summary>Offline mode (HF_HUB_OFFLINE) is on and the file is not in the cache (or torch.hub's checkpoint folder).</summary>
public sealed class HubOfflineException : HubException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="repoId">The repository.</param>
    /// <param name="fileName">The file in the repository.</param>
    /// <param name="message">What happened and what to do.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public HubOfflineException(string repoId, string fileName, string message, Exception? innerException = null)
        : base(repoId, fileName, message, innerException)
    {
    }
}
