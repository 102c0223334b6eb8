using System;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Runtime;

/// <summary>Turns a device name from a command line or a configuration file into a checked TorchSharp device.</summary>
public static class ComputeDevice
{
    /// <summary>
    /// Parses <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c> and checks that this process can use it, so that a missing GPU
    /// is reported by name before any model is built rather than by libtorch at the first tensor.
    /// </summary>
    /// <param name="name">The device name.</param>
    /// <returns>The device.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException">The name is not one of the three forms, CUDA is not available in this
    /// process, or the index is beyond the CUDA devices present.</exception>
    public static Device Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name == "cpu")
            return CPU;
        bool available = cuda.is_available();
        return Parse(name, available, available ? cuda.device_count() : 0);
    }

    /// <summary>The checks of <see cref="Parse(string)"/> against a given CUDA availability and device count.</summary>
    internal static Device Parse(string name, bool cudaAvailable, int cudaDevices)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name == "cpu")
            return CPU;
        int index = 0;
        bool isCuda = name == "cuda" || (name.StartsWith("cuda:", StringComparison.Ordinal)
            && int.TryParse(name.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out index));
        if (!isCuda)
            throw new ArgumentException($"The device must be cpu, cuda or cuda:N, got '{name}'.", nameof(name));
        if (!cudaAvailable)
            throw new ArgumentException(
                $"The device '{name}' cannot be used: CUDA is not available in this process. It needs an NVIDIA GPU with its driver " +
                "and TorchSharp's CUDA runtime package in place of TorchSharp-cpu: 'dotnet add package TorchSharp-cuda-linux --version 0.107.0' " +
                "(TorchSharp-cuda-windows on Windows; libtorch has no CUDA build for macOS).",
                nameof(name));
        if (index >= cudaDevices)
            throw new ArgumentException(
                $"The device '{name}' does not exist: this machine has {cudaDevices} CUDA device(s), cuda:0 to cuda:{cudaDevices - 1}.",
                nameof(name));
        return new Device(DeviceType.CUDA, index);
    }
}
