using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;

namespace ResNeStBlocks.Weights;

/// <summary>
/// A validated safetensors header: the tensor entries in data order, the metadata, and where the data
/// region starts. Parsing trusts nothing in the file; every violation raises
/// <see cref="SafetensorsFormatException"/> before any tensor memory is allocated.
/// </summary>
public sealed class SafetensorsHeader
{
    /// <summary>The largest header accepted (100 MB, the reference implementation's limit).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private SafetensorsHeader(IReadOnlyList<SafetensorsEntry> entries, IReadOnlyDictionary<string, string> metadata, long dataStart)
    {
        Entries = entries;
        Metadata = metadata;
        DataStart = dataStart;
    }

    /// <summary>The tensor entries, ordered by their position in the data region.</summary>
    public IReadOnlyList<SafetensorsEntry> Entries { get; }

    /// <summary>The <c>__metadata__</c> string map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>File offset of the data region (8 + header length).</summary>
    public long DataStart { get; }

    /// <summary>Reads and validates the header of a safetensors stream positioned at its start.</summary>
    /// <param name="stream">A readable, seekable stream holding the whole file.</param>
    /// <param name="source">A name for messages, usually the file path.</param>
    /// <returns>The validated header; the stream is left at the start of the data region.</returns>
    /// <exception cref="SafetensorsFormatException">The header is malformed or disagrees with the file's size.</exception>
    public static SafetensorsHeader Read(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("safetensors reading needs a little-endian machine.");
        long fileLength = stream.Length;
        if (fileLength < 8)
            throw Fail(source, $"the file is {fileLength} bytes long, too short for the 8-byte header length.");
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        ulong headerLength = BitConverter.ToUInt64(prefix);
        if (headerLength > MaxHeaderBytes)
            throw Fail(source, $"the header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit.");
        if ((long)headerLength > fileLength - 8)
            throw Fail(source, $"the header length {headerLength} runs past the end of the {fileLength}-byte file.");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        long dataStart = 8 + (long)headerLength;
        return Parse(headerBytes, fileLength - dataStart, source, dataStart);
    }

    private static SafetensorsHeader Parse(byte[] headerBytes, long dataLength, string source, long dataStart)
    {
        JsonDocument document;
        try
        {
            string text = new UTF8Encoding(false, true).GetString(headerBytes);
            document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (Exception e) when (e is JsonException or DecoderFallbackException or ArgumentException)
        {
            throw Fail(source, $"the header is not valid UTF-8 JSON ({e.Message})", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw Fail(source, $"the header must be a JSON object, got {document.RootElement.ValueKind}.");
            var entries = new List<SafetensorsEntry>();
            var metadata = new Dictionary<string, string>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                    throw Fail(source, $"key '{property.Name}' appears twice in the header.");
                if (property.Name == "__metadata__")
                    ReadMetadata(property.Value, metadata, source);
                else
                    entries.Add(ReadEntry(property.Name, property.Value, dataLength, source));
            }
            entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
            CheckLayout(entries, dataLength, source);
            return new SafetensorsHeader(entries, metadata, dataStart);
        }
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Fail(source, "'__metadata__' must be an object of strings.");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw Fail(source, $"'__metadata__' value '{item.Name}' must be a string, got {item.Value.ValueKind}.");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw Fail(source, $"'__metadata__' key '{item.Name}' appears twice.");
        }
    }

    private static SafetensorsEntry ReadEntry(string key, JsonElement value, long dataLength, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Fail(source, $"tensor '{key}': its entry must be an object, got {value.ValueKind}.");
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Fail(source, $"tensor '{key}': 'dtype' is missing or not a string.");
        string dtype = dtypeElement.GetString()!;
        if (!SafetensorsDType.TryParse(dtype, out var type, out int elementSize))
            throw Fail(source, $"tensor '{key}': dtype '{dtype}' is not supported (supported: {string.Join(", ", SafetensorsDType.Names)}).");

        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw Fail(source, $"tensor '{key}': 'shape' is missing or not an array.");
        var shape = new List<long>();
        long elements = 1;
        foreach (var dimElement in shapeElement.EnumerateArray())
        {
            if (dimElement.ValueKind != JsonValueKind.Number || !dimElement.TryGetInt64(out long dim) || dim < 0)
                throw Fail(source, $"tensor '{key}': shape [{shapeElement.GetRawText()}] must hold non-negative integers.");
            shape.Add(dim);
            if (dim != 0 && elements > dataLength / dim)
                elements = long.MaxValue; // cannot fit in the file; reported below as a size mismatch
            else
                elements *= dim;
        }
        if (shape.Count > 16)
            throw Fail(source, $"tensor '{key}': {shape.Count} dimensions exceed the 16 supported.");

        if (!value.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array
            || offsetsElement.GetArrayLength() != 2)
            throw Fail(source, $"tensor '{key}': 'data_offsets' must be an array [begin, end].");
        var bounds = offsetsElement.EnumerateArray().ToArray();
        if (!bounds[0].TryGetInt64(out long begin) || !bounds[1].TryGetInt64(out long end) || begin < 0 || end < begin)
            throw Fail(source, $"tensor '{key}': data_offsets {offsetsElement.GetRawText()} must be integers with 0 <= begin <= end.");
        if (end > dataLength)
            throw Fail(source, $"tensor '{key}': data_offsets [{begin}, {end}] run past the {dataLength}-byte data region.");
        long expectedBytes = elements == long.MaxValue || elements > long.MaxValue / elementSize ? long.MaxValue : elements * elementSize;
        if (end - begin != expectedBytes)
            throw Fail(source, $"tensor '{key}': shape [{string.Join(", ", shape)}] of {dtype} needs {(expectedBytes == long.MaxValue ? "more" : expectedBytes.ToString())} bytes but data_offsets span {end - begin}.");
        foreach (var property in value.EnumerateObject())
            if (property.Name is not ("dtype" or "shape" or "data_offsets"))
                throw Fail(source, $"tensor '{key}': unknown field '{property.Name}'.");
        return new SafetensorsEntry(key, dtype, type, shape, begin, end);
    }

    private static void CheckLayout(List<SafetensorsEntry> entries, long dataLength, string source)
    {
        long cursor = 0;
        foreach (var entry in entries)
        {
            if (entry.Begin < cursor)
                throw Fail(source, $"tensor '{entry.Key}': data_offsets [{entry.Begin}, {entry.End}] overlap the previous tensor, which ends at {cursor}.");
            if (entry.Begin > cursor)
                throw Fail(source, $"tensor '{entry.Key}': data_offsets begin at {entry.Begin}, leaving a hole after byte {cursor}.");
            cursor = entry.End;
        }
        if (cursor != dataLength)
            throw Fail(source, $"the tensors cover {cursor} bytes but the data region holds {dataLength}.");
    }

    private static SafetensorsFormatException Fail(string source, string problem, Exception? inner = null)
    {
        string message = $"Invalid safetensors file '{source}': {problem}";
        return inner is null ? new SafetensorsFormatException(message) : new SafetensorsFormatException(message, inner);
    }
}
