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
/// <para>Reading validates the whole header first (see <see cref="SafeTensorsHeader"/> for every rule), so nothing
/// is allocated for a malformed file, and the tensors allocated never total more than the file's size. Tensor
/// bytes are streamed from the file straight into each tensor's memory in pieces of at most 64 MiB; nothing is
/// read twice. Every malformed file raises <see cref="SafeTensorsFormatException"/> (an <see cref="IOException"/>)
/// whose message names the file, the tensor key where there is one, and the problem; BOOL tensors must hold only
/// bytes 0 and 1. Non-finite values (NaN, infinities, NaN payloads) are loaded bit for bit as stored, never
/// rejected or normalised.</para>
/// <para>Thread safety: <see cref="Load(Stream, string)"/> and <see cref="Load(string)"/> share no state, so
/// concurrent calls on distinct streams (or paths) are safe; one stream must not be read by two calls at once.
/// <see cref="Save"/> to distinct paths is safe likewise.</para>
/// </remarks>
public static class SafeTensors
{
    /// <summary>Reads every tensor of a safetensors file onto the CPU.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>Tensor name to tensor, in the file's data order. The caller owns (and disposes) the tensors.</returns>
    /// <exception cref="SafeTensorsFormatException">The file is malformed.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static Dictionary<string, Tensor> Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return Load(stream, path);
    }

    /// <summary>Reads every tensor of a safetensors stream onto the CPU.</summary>
    /// <param name="stream">A readable, seekable stream; the file runs from its current position to its end. It is not disposed.</param>
    /// <param name="source">A name for error messages.</param>
    /// <returns>Tensor name to tensor, in the file's data order. The caller owns (and disposes) the tensors.</returns>
    /// <exception cref="SafeTensorsFormatException">The content is malformed; no tensor is left allocated.</exception>
    /// <exception cref="ArgumentException">The stream cannot read or seek.</exception>
    public static Dictionary<string, Tensor> Load(Stream stream, string source = "stream")
    {
        var header = SafeTensorsHeader.Read(stream, source);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var entry in header.Entries)
            {
                var tensor = empty(entry.Shape.ToArray(), entry.Type, CPU);
                result.Add(entry.Key, tensor);
                if (entry.Length == 0)
                    continue;
                stream.Position = header.DataStart + entry.Begin;
                ReadInto(stream, tensor, entry, source);
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

    private static void ReadInto(Stream stream, Tensor tensor, SafeTensorsEntry entry, string source) =>
        TensorBytes.ReadInto(stream, tensor,
            e => SafeTensorsHeader.Fail(source, "the file ended before its declared length (was it changed while being read?).", e),
            entry.Type != ScalarType.Bool ? null : piece =>
            {
                if (!TensorBytes.IsBoolean(piece))
                    throw SafeTensorsHeader.Fail(source, $"tensor '{entry.Key}': a BOOL byte is neither 0 nor 1.");
            });

    /// <summary>Reads only the header of a safetensors file: keys, dtypes, shapes and metadata.</summary>
    /// <param name="path">The file to inspect.</param>
    /// <returns>The validated header.</returns>
    /// <exception cref="SafeTensorsFormatException">The file is malformed.</exception>
    internal static SafeTensorsHeader ReadHeader(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.OpenRead(path);
        return SafeTensorsHeader.Read(stream, path);
    }

    /// <summary>Writes tensors to a safetensors file (keys sorted, data in key order, as the reference writer does).</summary>
    /// <remarks>
    /// The file is written to <c>path + ".tmp"</c>, flushed to the disk, and moved over <paramref name="path"/> when complete
    /// (the directory is flushed too, where the platform allows), so neither a failed save nor a crash right after it
    /// leaves a partial file under <paramref name="path"/>. Values are written bit for bit, non-finite ones included.
    /// </remarks>
    /// <param name="path">The file to create or overwrite.</param>
    /// <param name="tensors">Name to tensor; tensors on any device, of any supported dtype.</param>
    /// <param name="metadata">Optional <c>__metadata__</c> strings.</param>
    /// <exception cref="ArgumentException">A tensor's dtype has no safetensors name, or a tensor is named <c>__metadata__</c>.</exception>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.ContainsKey("__metadata__"))
            throw new ArgumentException("A tensor cannot be named '__metadata__': the format reserves that key.", nameof(tensors));
        var keys = tensors.Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray();
        var header = new Dictionary<string, object>(StringComparer.Ordinal);
        if (metadata is { Count: > 0 })
            header["__metadata__"] = metadata;
        long offset = 0;
        foreach (var key in keys)
        {
            var tensor = tensors[key];
            string dtype = SafeTensorsDType.NameOf(tensor.dtype);
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
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                stream.Write(BitConverter.GetBytes((ulong)(json.Length + padding)));
                stream.Write(json);
                stream.Write(Encoding.ASCII.GetBytes(new string(' ', padding)));
                foreach (var key in keys)
                    WriteData(stream, tensors[key]);
                DurableFiles.FlushToDisk(stream);
            }
            DurableFiles.Replace(temporary, path);
        }
        catch
        {
            if (File.Exists(temporary))
                File.Delete(temporary);
            throw;
        }
    }

    private static void WriteData(Stream stream, Tensor tensor)
    {
        using var scope = NewDisposeScope();
        var host = tensor.detach().cpu().contiguous();
        long total = host.numel();
        if (total == 0)
            return;
        var flat = host.view(-1);
        long step = TensorBytes.ChunkBytes / host.ElementSize;
        for (long first = 0; first < total; first += step)
            stream.Write(flat.narrow(0, first, Math.Min(step, total - first)).bytes);
    }
}
