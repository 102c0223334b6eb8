namespace ResNeStBlocks.Hub;

/// <summary>How far a download has come, reported through <see cref="System.IProgress{T}"/>.</summary>
/// <param name="FileName">The file in the repository, such as <c>model.safetensors</c>.</param>
/// <param name="BytesDone">Bytes on disk so far, including any resumed part.</param>
/// <param name="TotalBytes">The file's size.</param>
/// <param name="BytesPerSecond">Transfer rate of this download so far (resumed bytes excluded).</param>
public readonly record struct HubDownloadProgress(string FileName, long BytesDone, long TotalBytes, double BytesPerSecond)
{
    /// <summary>Completed fraction in [0, 1] (1 for an empty file).</summary>
    public double Fraction => TotalBytes <= 0 ? 1.0 : (double)BytesDone / TotalBytes;
}
