using System;

namespace ResNeStBlocks.Hub;

/// <summary>
/// A file could not be fetched from the Hugging Face Hub or a torch.hub checkpoint server: <see cref="Kind"/> says which
/// failure it was, the message says why and what to do.
/// </summary>
public sealed class HubException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="kind">Which failure.</param>
    /// <param name="repoId">The repository, such as <c>timm/resnest50d.in1k</c>, or a torch.hub checkpoint's base URL.</param>
    /// <param name="fileName">The file in the repository.</param>
    /// <param name="message">What happened and what to do.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public HubException(HubErrorKind kind, string repoId, string fileName, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        RepoId = repoId;
        FileName = fileName;
    }

    /// <summary>Which failure this was.</summary>
    public HubErrorKind Kind { get; }

    /// <summary>The repository, or for a torch.hub checkpoint the base URL it comes from (<see cref="HubOptions.TorchModelsUrl"/>).</summary>
    public string RepoId { get; }

    /// <summary>The file in the repository.</summary>
    public string FileName { get; }
}
