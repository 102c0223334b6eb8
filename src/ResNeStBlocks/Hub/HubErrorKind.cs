namespace ResNeStBlocks.Hub;

/// <summary>Why a download failed, for a caller that reacts differently (asks for a token, works offline, retries later).</summary>
public enum HubErrorKind
{
    /// <summary>Anything else: an answer the client cannot use, such as a missing header or an unexpected status.</summary>
    Other,

    /// <summary>No server answers (connection refused, unknown host name), or every retry failed.</summary>
    Unreachable,

    /// <summary>401: no token was sent, or the token was not accepted.</summary>
    Unauthorized,

    /// <summary>403: a gated repository whose conditions the token's account has not accepted.</summary>
    GatedRepository,

    /// <summary>The repository does not exist (or is private to another account).</summary>
    RepositoryNotFound,

    /// <summary>The repository has no such branch, tag or commit.</summary>
    RevisionNotFound,

    /// <summary>The repository (or the checkpoint server) has no such file.</summary>
    EntryNotFound,

    /// <summary>Offline mode is on and the file is not cached.</summary>
    Offline,

    /// <summary>The bytes received do not match the announced size or hash; nothing was cached.</summary>
    Integrity,
}
