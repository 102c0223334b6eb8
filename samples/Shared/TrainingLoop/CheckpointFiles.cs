using System.IO;

namespace ResNeStBlocks.Samples.Training;

/// <summary>Where a training run keeps its checkpoints in its output folder.</summary>
public static class CheckpointFiles
{
    /// <summary>The checkpoint of the last epoch (resume from it).</summary>
    /// <param name="directory">The run's output folder.</param>
    /// <returns>The path.</returns>
    public static string Last(string directory) => Path.Combine(directory, "last.safetensors");

    /// <summary>The checkpoint of the epoch with the best validation metric.</summary>
    /// <param name="directory">The run's output folder.</param>
    /// <returns>The path.</returns>
    public static string Best(string directory) => Path.Combine(directory, "best.safetensors");
}
