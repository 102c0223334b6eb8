using System;
using System.Collections.Generic;
using System.IO;
using static TorchSharp.torch;

namespace ResNeStBlocks.Weights;

/// <summary>Reads a weights file in whichever format it is, told apart by its first bytes: a PyTorch checkpoint, else safetensors.</summary>
internal static class WeightsFile
{
    /// <summary>Reads every tensor of a safetensors file or a PyTorch checkpoint onto the CPU.</summary>
    /// <param name="path">The file.</param>
    /// <returns>Key to tensor; the caller disposes them.</returns>
    /// <exception cref="SafeTensorsFormatException">The file is not a PyTorch checkpoint and is malformed as safetensors.</exception>
    /// <exception cref="PyTorchCheckpointFormatException">The file is a malformed or unsafe PyTorch checkpoint.</exception>
    public static Dictionary<string, Tensor> Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        Span<byte> start = stackalloc byte[4];
        int read = stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
        stream.Position = 0;
        return PyTorchCheckpoint.HasSignature(start[..read]) ? PyTorchCheckpoint.Load(stream, path) : SafeTensors.Load(stream, path);
    }
}
