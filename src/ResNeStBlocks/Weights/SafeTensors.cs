using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Weights;

/// <summary>
/// Reads and writes the safetensors format (the format timm publishes its weights in): an 8-byte
/// little-endian header length, a JSON header, then the raw little-endian tensor bytes.
/// </summary>
/// <remarks>
/// Reading validates the whole header first (see <see cref="SafetensorsHeader"/>), so nothing is
/// allocated for a malformed file and never more than the file's size. Tensor bytes are streamed from the
/// file straight into each tensor's memory. Non-finite values (NaN, infinity) are loaded as stored.
/// </remarks>
public static class SafeTensors
{
    /// <summary>Reads every tensor of a safetensors file onto the CPU.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>Tensor name to tensor, in the file's data order. The caller owns (and disposes) the tensors.</returns>
    /// <exception cref="SafetensorsFormatException">The file is malformed.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static Dictionary<string, Tensor> Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return Load(stream, path);
    }

    /// <summary>Reads every tensor of a safetensors stream onto the CPU.</summary>
    /// <param name="stream">A readable, seekable stream positioned at the start of the file.</param>
    /// <param name="source">A name for error messages.</param>
    /// <returns>Tensor name to tensor, in the file's data order.</returns>
    /// <exception cref="SafetensorsFormatException">The content is malformed.</exception>
    public static Dictionary<string, Tensor> Load(Stream stream, string source = "stream")
    {
        var header = SafetensorsHeader.Read(stream, source);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var entry in header.Entries)
            {
                var tensor = empty(entry.Shape.ToArray(), entry.Type, CPU);
                result.Add(entry.Key, tensor);
                if (entry.Length > 0)
                {
                    stream.Position = header.DataStart + entry.Begin;
                    stream.ReadExactly(tensor.bytes);
                }
            }
            return result;
        }
        catch
        {
            foreach (var tensor in result.Values)
                tensor.Dispose();
            throw;
        }
    }

    /// <summary>Reads only the header of a safetensors file: keys, dtypes, shapes and metadata.</summary>
    /// <param name="path">The file to inspect.</param>
    /// <returns>The validated header.</returns>
    /// <exception cref="SafetensorsFormatException">The file is malformed.</exception>
    public static SafetensorsHeader ReadHeader(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.OpenRead(path);
        return SafetensorsHeader.Read(stream, path);
    }

    /// <summary>Writes tensors to a safetensors file (keys sorted, data in key order, as the reference writer does).</summary>
    /// <param name="path">The file to create or overwrite.</param>
    /// <param name="tensors">Name to tensor; tensors on any device, of any supported dtype.</param>
    /// <param name="metadata">Optional <c>__metadata__</c> strings.</param>
    /// <exception cref="ArgumentException">A tensor's dtype has no safetensors name.</exception>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var keys = tensors.Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray();
        var header = new Dictionary<string, object>(StringComparer.Ordinal);
        if (metadata is { Count: > 0 })
            header["__metadata__"] = metadata;
        long offset = 0;
        foreach (var key in keys)
        {
            var tensor = tensors[key];
            string dtype = SafetensorsDType.NameOf(tensor.dtype);
            long length = tensor.numel() * tensor.ElementSize;
            header[key] = new Dictionary<string, object>
            {
                ["dtype"] = dtype,
                ["shape"] = tensor.shape,
                ["data_offsets"] = new[] { offset, offset + length },
            };
            offset += length;
        }
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(header);
        int padding = (8 - json.Length % 8) % 8;

        string temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            stream.Write(BitConverter.GetBytes((ulong)(json.Length + padding)));
            stream.Write(json);
            stream.Write(Encoding.ASCII.GetBytes(new string(' ', padding)));
            foreach (var key in keys)
            {
                using var scope = NewDisposeScope();
                var host = tensors[key].detach().cpu().contiguous();
                if (host.numel() > 0)
                    stream.Write(host.bytes);
            }
        }
        File.Move(temporary, path, overwrite: true);
    }
}
