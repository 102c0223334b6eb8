using System;

namespace ResNeStBlocks.Hub;

/// <summary>
/// How patiently a download client retries and waits; shared by <see cref="HubOptions"/> (the Hugging Face Hub) and
/// <see cref="TorchHubOptions"/> (torch.hub's checkpoint server).
/// </summary>
public abstract record DownloadOptions
{
    /// <summary>How many times a transient failure (5xx, 429, timeout, reset connection) is retried; 5 by default.</summary>
    public int MaxRetries { get; init; } = 5;

    /// <summary>Wait before the first retry; doubled on each further one up to <see cref="MaxRetryDelay"/>. 1 s by default.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between two retries; 8 s by default.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>Longest wait for a response's headers or for the next piece of a body; 30 s by default.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Checks the retry and timeout settings, naming the options type in the message.</summary>
    /// <param name="parameterName">The client constructor's parameter that carried the options.</param>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    internal void ValidateTransfer(string parameterName)
    {
        string type = GetType().Name;
        if (MaxRetries < 0)
            throw new ArgumentException($"{type}.MaxRetries must be 0 or more; got {MaxRetries}.", parameterName);
        if (Timeout <= TimeSpan.Zero || RetryDelay < TimeSpan.Zero || MaxRetryDelay < TimeSpan.Zero)
            throw new ArgumentException(
                $"{type}.Timeout must be positive and RetryDelay and MaxRetryDelay not negative; got {Timeout}, {RetryDelay} and {MaxRetryDelay}.", parameterName);
    }
}
