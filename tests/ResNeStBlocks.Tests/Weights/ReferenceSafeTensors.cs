using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Weights;

/// <summary>
/// An independent, deliberately plain reading of the safetensors rules, used by the fuzz test as an oracle:
/// it says whether bytes form a valid file and, if so, which tensor each key must become.
/// </summary>
internal static class ReferenceSafeTensors
{
    public sealed record Tensor(string Key, ScalarType Type, long[] Shape, long Begin, long End);

    private static readonly Dictionary<string, (ScalarType Type, int Size)> Types = new()
    {
        ["BOOL"] = (ScalarType.Bool, 1), ["U8"] = (ScalarType.Byte, 1), ["I8"] = (ScalarType.Int8, 1),
        ["I16"] = (ScalarType.Int16, 2), ["I32"] = (ScalarType.Int32, 4), ["I64"] = (ScalarType.Int64, 8),
        ["F16"] = (ScalarType.Float16, 2), ["BF16"] = (ScalarType.BFloat16, 2), ["F32"] = (ScalarType.Float32, 4),
        ["F64"] = (ScalarType.Float64, 8),
    };

    /// <summary>The tensors of a valid file (and where its data region starts), or null with the reason it is invalid.</summary>
    public static (List<Tensor>? Tensors, long DataStart, string? Why) Interpret(byte[] file)
    {
        if (file.Length < 8) return (null, 0, "short");
        ulong n = BitConverter.ToUInt64(file, 0);
        if (n > 100_000_000 || n > (ulong)(file.Length - 8)) return (null, 0, "header length");
        long dataStart = 8 + (long)n;
        long dataLength = file.Length - dataStart;
        string text;
        try { text = new UTF8Encoding(false, true).GetString(file, 8, (int)n); }
        catch (DecoderFallbackException) { return (null, 0, "utf8"); }
        JsonDocument doc;
        try { doc = JsonDocument.Parse(text); }
        catch (JsonException) { return (null, 0, "json"); }
        using (doc)
        {
            if (!Unicode(doc.RootElement)) return (null, 0, "unpaired surrogate");
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return (null, 0, "root");
            var tensors = new List<Tensor>();
            var names = new List<string>();
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                names.Add(p.Name);
                if (p.Name == "__metadata__")
                {
                    if (p.Value.ValueKind != JsonValueKind.Object) return (null, 0, "metadata");
                    var inner = p.Value.EnumerateObject().ToList();
                    if (inner.Any(m => m.Value.ValueKind != JsonValueKind.String)) return (null, 0, "metadata value");
                    if (inner.Select(m => m.Name).Distinct().Count() != inner.Count) return (null, 0, "metadata duplicate");
                    continue;
                }
                var t = Entry(p.Name, p.Value, dataLength);
                if (t is null) return (null, 0, "entry " + p.Name);
                tensors.Add(t);
            }
            if (names.Distinct().Count() != names.Count) return (null, 0, "duplicate");
            long cursor = 0;
            foreach (var t in tensors.OrderBy(t => t.Begin).ThenBy(t => t.End))
            {
                if (t.Begin != cursor) return (null, 0, "layout");
                cursor = t.End;
            }
            if (cursor != dataLength) return (null, 0, "trailing");
            foreach (var t in tensors.Where(t => t.Type == ScalarType.Bool))
                for (long i = t.Begin; i < t.End; i++)
                    if (file[dataStart + i] > 1) return (null, 0, "bool");
            return (tensors, dataStart, null);
        }
    }

    /// <summary>Whether every string and key decodes to valid UTF-16 (JSON lets an escape name a lone surrogate; the format does not).</summary>
    private static bool Unicode(JsonElement e)
    {
        try
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    return e.EnumerateObject().All(p => p.Name.Length >= 0 && Unicode(p.Value));
                case JsonValueKind.Array:
                    return e.EnumerateArray().All(Unicode);
                case JsonValueKind.String:
                    _ = e.GetString();
                    return true;
                default:
                    return true;
            }
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static Tensor? Entry(string key, JsonElement e, long dataLength)
    {
        if (e.ValueKind != JsonValueKind.Object) return null;
        var fields = e.EnumerateObject().ToList();
        if (fields.Count != 3 || fields.Select(f => f.Name).OrderBy(x => x, StringComparer.Ordinal)
                .SequenceEqual(new[] { "data_offsets", "dtype", "shape" }) == false)
            return null;
        var dtype = e.GetProperty("dtype");
        if (dtype.ValueKind != JsonValueKind.String || !Types.TryGetValue(dtype.GetString()!, out var type)) return null;
        var shape = e.GetProperty("shape");
        if (shape.ValueKind != JsonValueKind.Array || shape.GetArrayLength() > 16) return null;
        var dims = new List<long>();
        foreach (var d in shape.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !long.TryParse(d.GetRawText(), out long v) || v < 0)
                return null;
            dims.Add(v);
        }
        // Element count with overflow detection over the non-zero dimensions, in 128 bits.
        Int128 product = 1;
        foreach (var d in dims.Where(d => d != 0))
        {
            product *= d;
            if (product > long.MaxValue) return null;
        }
        Int128 count = dims.Contains(0) ? 0 : product;
        var offsets = e.GetProperty("data_offsets");
        if (offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2) return null;
        var o = offsets.EnumerateArray().ToList();
        if (o.Any(x => x.ValueKind != JsonValueKind.Number || !long.TryParse(x.GetRawText(), out _)))
            return null;
        long begin = long.Parse(o[0].GetRawText()), end = long.Parse(o[1].GetRawText());
        if (begin < 0 || end < begin || end > dataLength) return null;
        if (count * type.Size != end - begin) return null;
        return new Tensor(key, type.Type, dims.ToArray(), begin, end);
    }
}
