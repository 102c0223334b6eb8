using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace ResNeStBlocks.Hub;

/// <summary>
/// An exclusive lock on <c>.locks/models--org--name/{etag}.lock</c> held while a blob is downloaded. .NET opens
/// the file with <see cref="FileShare.None"/>, which on Linux and macOS is an advisory <c>flock(LOCK_EX)</c>, the
/// same lock Python's <c>filelock</c> takes, so .NET and Python processes sharing a cache wait for each other.
/// The lock file is left in place (deleting it would let a third process lock a fresh file while a second holds the old one).
/// </summary>
internal sealed class CacheLock : IDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);
    private readonly FileStream stream;

    private CacheLock(FileStream stream) => this.stream = stream;

    public static async Task<CacheLock> AcquireAsync(string path, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                return new CacheLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException)
            {
                // Held by another downloader of the same blob: it will finish (or fail) and release it.
                await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public void Dispose() => stream.Dispose();
}
