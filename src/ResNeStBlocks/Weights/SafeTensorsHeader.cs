using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using System.Text.Unicode;

namespace ResNeStBlocks.Weights;

/// <summary>
/// A validated safetensors header: the tensor entries in data order, the metadata, and where the data
/// region starts. Parsing trusts nothing in the file; every violation raises
/// <see cref="SafeTensorsFormatException"/> before any tensor memory is allocated.
/// </summary>
/// <remarks>
/// <para>The rules checked, each reported with the offending key where there is one:</para>
/// <list type="bullet">
/// <item>the 8-byte header length is at most <see cref="MaxHeaderBytes"/> and lies within the file;</item>
/// <item>the header is valid UTF-8 and valid JSON (no comments, no trailing commas, nested at most
/// <see cref="MaxNesting"/> levels) whose root is an object;</item>
/// <item>no string's <c>\u</c> escapes leave a UTF-16 surrogate unpaired (such as <c>"\ud800"</c>), as the reference reader requires;</item>
/// <item>no key appears twice, neither at the top level nor inside an entry or <c>__metadata__</c>;</item>
/// <item><c>__metadata__</c>, when present, is an object of string values;</item>
/// <item>every other entry is an object with exactly <c>dtype</c> (a name in <see cref="SafeTensorsDType.Names"/>),
/// <c>shape</c> (at most <see cref="MaxDimensions"/> non-negative 64-bit integers whose product does not overflow) and
/// <c>data_offsets</c> (two integers, <c>0 &lt;= begin &lt;= end &lt;=</c> data length);</item>
/// <item>each span holds exactly shape x dtype-size bytes;</item>
/// <item>sorted by offset, the spans tile the data region exactly: no overlap, no hole, no trailing bytes.</item>
/// </list>
/// <para>The header bytes are read once (at most <see cref="MaxHeaderBytes"/> and never more than the stream holds)
/// and parsed in place, without a second copy as a string.</para>
/// </remarks>
internal sealed class SafeTensorsHeader
{
    /// <summary>The largest header accepted (100 MB, the reference implementation's limit).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>The most dimensions a tensor may have.</summary>
    public const int MaxDimensions = 16;

    /// <summary>The deepest JSON nesting accepted; a valid header needs 3 (root, entry, shape).</summary>
    public const int MaxNesting = 8;

    private SafeTensorsHeader(IReadOnlyList<SafeTensorsEntry> entries, IReadOnlyDictionary<string, string> metadata, long dataStart)
    {
        Entries = entries;
        Metadata = metadata;
        DataStart = dataStart;
    }

    /// <summary>The tensor entries, ordered by their position in the data region (ties, which only empty tensors can have, by key).</summary>
    public IReadOnlyList<SafeTensorsEntry> Entries { get; }

    /// <summary>The <c>__metadata__</c> string map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Stream position of the data region: the position the header was read from, plus 8, plus the header length.</summary>
    public long DataStart { get; }

    /// <summary>Reads and validates the header of a safetensors stream positioned at its start.</summary>
    /// <param name="stream">A readable, seekable stream; the file runs from its current position to its end.</param>
    /// <param name="source">A name for messages, usually the file path.</param>
    /// <returns>The validated header; the stream is left at the start of the data region.</returns>
    /// <exception cref="SafeTensorsFormatException">The header is malformed or disagrees with the file's size.</exception>
    /// <exception cref="ArgumentException">The stream cannot read or seek.</exception>
    public static SafeTensorsHeader Read(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(source);
        if (!stream.CanRead || !stream.CanSeek)
            throw new ArgumentException("safetensors reading needs a readable, seekable stream.", nameof(stream));
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("safetensors reading needs a little-endian machine.");
        long start = stream.Position;
        long fileLength = stream.Length - start;
        if (fileLength < 8)
            throw Fail(source, $"the file is {Math.Max(fileLength, 0)} bytes long, too short for the 8-byte header length.");
        Span<byte> prefix = stackalloc byte[8];
        ReadExactly(stream, prefix, source);
        ulong headerLength = BitConverter.ToUInt64(prefix);
        if (headerLength > MaxHeaderBytes)
            throw Fail(source, $"the header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit.");
        if ((long)headerLength > fileLength - 8)
            throw Fail(source, $"the header length {headerLength} runs past the end of the {fileLength}-byte file.");
        var headerBytes = new byte[headerLength];
        ReadExactly(stream, headerBytes, source);
        long dataLength = fileLength - 8 - (long)headerLength;
        return Parse(headerBytes, dataLength, source, start + 8 + (long)headerLength);
    }

    /// <summary>Builds the exception for a malformed file: the file's name, then the problem.</summary>
    internal static SafeTensorsFormatException Fail(string source, string problem, Exception? inner = null)
    {
        string message = $"Invalid safetensors file '{source}': {problem}";
        return inner is null ? new SafeTensorsFormatException(message) : new SafeTensorsFormatException(message, inner);
    }

    /// <summary>Fills <paramref name="buffer"/>, reporting a stream that ends early (a file shrinking under us) as malformed.</summary>
    internal static void ReadExactly(Stream stream, Span<byte> buffer, string source)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            throw Fail(source, "the file ended before its declared length (was it changed while being read?).", e);
        }
    }

    private static SafeTensorsHeader Parse(byte[] headerBytes, long dataLength, string source, long dataStart)
    {
        if (!Utf8.IsValid(headerBytes))
            throw Fail(source, "the header is not valid UTF-8.");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(headerBytes, new JsonDocumentOptions { MaxDepth = MaxNesting });
        }
        catch (JsonException e)
        {
            throw Fail(source, $"the header is not valid JSON ({e.Message})", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Fail(source, $"the header must be a JSON object, got {root.ValueKind}.");
            var entries = new List<SafeTensorsEntry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            // JsonDocument keeps duplicate property names; the format forbids them.
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                string key = Name(property, "a key of the header", source);
                if (!seen.Add(key))
                    throw Fail(source, $"key '{key}' appears twice in the header.");
                if (key == "__metadata__")
                    ReadMetadata(property.Value, metadata, source);
                else
                    entries.Add(ReadEntry(key, property.Value, dataLength, source));
            }
            entries.Sort(CompareByOffset);
            CheckLayout(entries, dataLength, source);
            return new SafeTensorsHeader(entries, metadata, dataStart);
        }
    }

    private static int CompareByOffset(SafeTensorsEntry a, SafeTensorsEntry b)
    {
        int order = a.Begin.CompareTo(b.Begin);
        if (order == 0) order = a.End.CompareTo(b.End);
        return order != 0 ? order : string.CompareOrdinal(a.Key, b.Key);
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Fail(source, $"'__metadata__' must be an object of strings, got {value.ValueKind}.");
        foreach (var item in value.EnumerateObject())
        {
            string name = Name(item, "a '__metadata__' key", source);
            if (item.Value.ValueKind != JsonValueKind.String)
                throw Fail(source, $"'__metadata__' value '{name}' must be a string, got {item.Value.ValueKind}.");
            if (!metadata.TryAdd(name, Text(item.Value, $"'__metadata__' value '{name}'", source)))
                throw Fail(source, $"'__metadata__' key '{name}' appears twice.");
        }
    }

    private static SafeTensorsEntry ReadEntry(string key, JsonElement value, long dataLength, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Fail(source, $"tensor '{key}': its entry must be an object, got {value.ValueKind}.");
        JsonElement? dtypeElement = null, shapeElement = null, offsetsElement = null;
        foreach (var field in value.EnumerateObject())
        {
            string name = Name(field, $"tensor '{key}': a field name", source);
            switch (name)
            {
                case "dtype": dtypeElement = Once(dtypeElement, field, name, key, source); break;
                case "shape": shapeElement = Once(shapeElement, field, name, key, source); break;
                case "data_offsets": offsetsElement = Once(offsetsElement, field, name, key, source); break;
                default: throw Fail(source, $"tensor '{key}': unknown field '{name}'.");
            }
        }

        if (dtypeElement is not { ValueKind: JsonValueKind.String } dtypeValue)
            throw Fail(source, $"tensor '{key}': 'dtype' is missing or not a string.");
        string dtype = Text(dtypeValue, $"tensor '{key}': 'dtype'", source);
        if (!SafeTensorsDType.TryParse(dtype, out var type, out int elementSize))
            throw Fail(source, $"tensor '{key}': dtype '{dtype}' is not supported (supported: {string.Join(", ", SafeTensorsDType.Names)}).");

        if (shapeElement is not { ValueKind: JsonValueKind.Array } shapeValue)
            throw Fail(source, $"tensor '{key}': 'shape' is missing or not an array.");
        if (shapeValue.GetArrayLength() > MaxDimensions)
            throw Fail(source, $"tensor '{key}': {shapeValue.GetArrayLength()} dimensions exceed the {MaxDimensions} supported.");
        var shape = new List<long>();
        long nonZeroProduct = 1; // product of the non-zero dimensions; must fit in 64 bits (torch computes it)
        bool empty = false;
        foreach (var dimElement in shapeValue.EnumerateArray())
        {
            if (dimElement.ValueKind != JsonValueKind.Number || !dimElement.TryGetInt64(out long dim) || dim < 0)
                throw Fail(source, $"tensor '{key}': shape {shapeValue.GetRawText()} must hold non-negative integers.");
            shape.Add(dim);
            if (dim == 0) { empty = true; continue; }
            if (nonZeroProduct > long.MaxValue / dim)
                throw Fail(source, $"tensor '{key}': shape {shapeValue.GetRawText()} overflows: its element count does not fit in 64 bits.");
            nonZeroProduct *= dim;
        }

        if (offsetsElement is not { ValueKind: JsonValueKind.Array } offsetsValue || offsetsValue.GetArrayLength() != 2)
            throw Fail(source, $"tensor '{key}': 'data_offsets' must be an array [begin, end].");
        var first = offsetsValue[0];
        var second = offsetsValue[1];
        if (first.ValueKind != JsonValueKind.Number || second.ValueKind != JsonValueKind.Number
            || !first.TryGetInt64(out long begin) || !second.TryGetInt64(out long end) || begin < 0 || end < begin)
            throw Fail(source, $"tensor '{key}': data_offsets {offsetsValue.GetRawText()} must be integers with 0 <= begin <= end.");
        if (end > dataLength)
            throw Fail(source, $"tensor '{key}': data_offsets [{begin}, {end}] run past the {dataLength}-byte data region.");

        long elements = empty ? 0 : nonZeroProduct;
        string shapeText = "[" + string.Join(", ", shape) + "]";
        if (elements > (end - begin) / elementSize || elements * elementSize != end - begin)
        {
            string needed = elements > long.MaxValue / elementSize ? "more than 2^63" : (elements * elementSize).ToString();
            throw Fail(source, $"tensor '{key}': shape {shapeText} of {dtype} needs {needed} bytes but data_offsets span {end - begin}.");
        }
        return new SafeTensorsEntry(key, dtype, type, Array.AsReadOnly(shape.ToArray()), begin, end);
    }

    private static JsonElement Once(JsonElement? previous, JsonProperty field, string name, string key, string source) =>
        previous is null ? field.Value : throw Fail(source, $"tensor '{key}': field '{name}' appears twice.");

    // System.Text.Json parses a lone surrogate escape such as "\ud800" and only fails when the string is
    // decoded, with InvalidOperationException; the format (like any UTF-8 text) has no such strings.
    private static string Name(JsonProperty property, string what, string source)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException e)
        {
            throw UnpairedSurrogate(source, what, e);
        }
    }

    private static string Text(JsonElement value, string what, string source)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            throw UnpairedSurrogate(source, what, e);
        }
    }

    private static SafeTensorsFormatException UnpairedSurrogate(string source, string what, Exception inner) =>
        Fail(source, $"{what} holds a \\u escape that leaves a UTF-16 surrogate unpaired (such as \"\\ud800\"), which is not valid Unicode.", inner);

    private static void CheckLayout(List<SafeTensorsEntry> entries, long dataLength, string source)
    {
        long cursor = 0;
        string? previous = null;
        foreach (var entry in entries)
        {
            if (entry.Begin < cursor)
                throw Fail(source, $"tensor '{entry.Key}': data_offsets [{entry.Begin}, {entry.End}] overlap tensor '{previous}', which ends at {cursor}.");
            if (entry.Begin > cursor)
                throw Fail(source, $"tensor '{entry.Key}': data_offsets begin at {entry.Begin}, leaving a hole of {entry.Begin - cursor} byte(s) after byte {cursor}.");
            cursor = entry.End;
            previous = entry.Key;
        }
        if (cursor != dataLength)
            throw Fail(source, $"the tensors cover {cursor} bytes but the data region holds {dataLength}: {dataLength - cursor} trailing byte(s).");
    }
}
