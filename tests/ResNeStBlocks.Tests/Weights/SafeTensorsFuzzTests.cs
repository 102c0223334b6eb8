using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using FluentAssertions;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Weights;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Weights;

/// <summary>
/// Thousands of files derived (with a fixed seed) from valid fixtures by bit flips, truncations, header edits,
/// surrogate escapes, deep nesting and random bytes. Each must load exactly as <see cref="ReferenceSafeTensors"/> interprets the bytes, or, where the
/// oracle finds the file invalid, raise <see cref="SafeTensorsFormatException"/>; nothing else may escape.
/// </summary>
public class SafeTensorsFuzzTests(ITestOutputHelper output)
{
    private enum Expect { Either, Load, Reject }

    private enum Kind
    {
        DataBitFlip, HeaderBitFlip, Truncation, AppendedBytes, NumberEdit, DtypeEdit, DuplicateKey, DuplicateField,
        RemovedEntry, SwappedOffsets, CharacterEdit, Metadata, LengthPrefix, RandomBytes, SurrogateEscape, DeepNesting,
    }

    private sealed record Mutant(Kind Kind, Expect Expect, byte[] Bytes, string What);

    private sealed class Source
    {
        public required byte[] File { get; init; }
        public required byte[] Data { get; init; }
        public required List<(string Key, string Raw)> Entries { get; init; }
    }

    [Theory]
    [InlineData("blocks", "se_c64.safetensors", 1200, 11)]
    [InlineData("models", "tiny_resnet_basic.safetensors", 900, 23)]
    public void Every_mutant_loads_as_the_reference_reads_it_or_is_rejected(string folder, string name, int count, int seed)
    {
        var source = Read(System.IO.File.ReadAllBytes(Fixtures.File("timm", folder, name)));
        var random = new Random(seed);
        var failures = new List<string>();
        var outcomes = new Dictionary<(Kind, bool), int>();
        var clock = Stopwatch.StartNew();

        for (int i = 0; i < count; i++)
        {
            var kind = (Kind)(i % Enum.GetValues<Kind>().Length);
            var mutant = Mutate(source, kind, random);
            bool loaded = Check(mutant, failures, i);
            outcomes[(kind, loaded)] = outcomes.GetValueOrDefault((kind, loaded)) + 1;
        }

        foreach (var kind in Enum.GetValues<Kind>())
            output.WriteLine($"{kind,-16} loaded {outcomes.GetValueOrDefault((kind, true)),4}  rejected {outcomes.GetValueOrDefault((kind, false)),4}");
        output.WriteLine($"{count} mutants of {name} in {clock.ElapsedMilliseconds} ms");

        failures.Should().BeEmpty();
        // The derivation must exercise both outcomes, or the test could pass by rejecting (or accepting) everything.
        outcomes.GetValueOrDefault((Kind.DataBitFlip, true)).Should().BeGreaterThan(0);
        outcomes.GetValueOrDefault((Kind.SwappedOffsets, true)).Should().BeGreaterThan(0, "swapping equal-sized spans gives valid files");
        outcomes.GetValueOrDefault((Kind.SurrogateEscape, true)).Should().BeGreaterThan(0, "a paired escape in a key gives a valid file");
        outcomes.GetValueOrDefault((Kind.SurrogateEscape, false)).Should().BeGreaterThan(0);
        outcomes.Where(o => !o.Key.Item2).Sum(o => o.Value).Should().BeGreaterThan(count / 3);
        outcomes.Where(o => o.Key.Item1 is Kind.HeaderBitFlip or Kind.NumberEdit or Kind.CharacterEdit or Kind.DtypeEdit && o.Key.Item2)
            .Sum(o => o.Value).Should().BeGreaterThan(0, "some header edits yield valid files whose contents the oracle checks");
    }

    /// <summary>Loads one mutant and records any disagreement with the oracle; returns whether it loaded.</summary>
    private static bool Check(Mutant mutant, List<string> failures, int index)
    {
        var (expected, dataStart, why) = ReferenceSafeTensors.Interpret(mutant.Bytes);
        string label = $"#{index} {mutant.Kind} ({mutant.What})";
        if (mutant.Expect == Expect.Load && expected is null)
            failures.Add($"{label}: the oracle rejects a mutant that must be valid ({why})");
        if (mutant.Expect == Expect.Reject && expected is not null)
            failures.Add($"{label}: the oracle accepts a mutant that must be invalid");

        using var scope = NewDisposeScope();
        Dictionary<string, Tensor> tensors;
        try
        {
            tensors = Crafted.Load(mutant.Bytes);
        }
        catch (SafeTensorsFormatException e)
        {
            if (expected is not null)
                failures.Add($"{label}: rejected a file the oracle accepts: {e.Message}");
            if (!e.Message.StartsWith($"Invalid safetensors file '{Crafted.Source}': ", StringComparison.Ordinal))
                failures.Add($"{label}: message does not name the file: {e.Message}");
            return false;
        }
        catch (Exception e)
        {
            failures.Add($"{label}: escaped as {e.GetType().Name}: {e.Message}");
            return false;
        }

        if (expected is null)
        {
            failures.Add($"{label}: loaded a file the oracle rejects ({why})");
            return true;
        }
        if (!tensors.Keys.OrderBy(k => k, StringComparer.Ordinal).SequenceEqual(expected.Select(t => t.Key).OrderBy(k => k, StringComparer.Ordinal)))
        {
            failures.Add($"{label}: keys differ from the oracle's");
            return true;
        }
        foreach (var t in expected)
        {
            var actual = tensors[t.Key];
            if (actual.dtype != t.Type || !actual.shape.SequenceEqual(t.Shape)
                || !actual.bytes.SequenceEqual(mutant.Bytes.AsSpan((int)(dataStart + t.Begin), (int)(t.End - t.Begin))))
                failures.Add($"{label}: tensor '{t.Key}' differs from the bytes stored at [{t.Begin}, {t.End})");
        }
        return true;
    }

    private static Source Read(byte[] file)
    {
        int n = (int)BitConverter.ToUInt64(file, 0);
        using var doc = JsonDocument.Parse(file.AsMemory(8, n));
        return new Source
        {
            File = file,
            Data = file[(8 + n)..],
            Entries = doc.RootElement.EnumerateObject().Select(p => (p.Name, p.Value.GetRawText())).ToList(),
        };
    }

    private static string Header(IEnumerable<(string Key, string Raw)> entries) =>
        "{" + string.Join(",", entries.Select(e => JsonSerializer.Serialize(e.Key) + ":" + e.Raw)) + "}";

    private static readonly string[] Numbers =
    [
        "0", "1", "-1", "-0", "2", "3", "7", "8", "64", "4096", "1.0", "1e3", "0.5", "2147483648", "4294967296",
        "9223372036854775807", "9223372036854775808", "18446744073709551616", "99999999999999999999999", "\"5\"", "null", "[]",
    ];

    private static readonly string[] DTypes = ["F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL", "F8_E4M3", "f32", "", "F3"];

    private static readonly string[] MetadataValues =
    [
        """{"format":"pt"}""", "{}", """{"a":"b","c":"d"}""", """{"format":1}""", "\"pt\"", "null", "[]", """{"a":"b","a":"c"}""",
    ];

    // JSON escapes as they appear in the header text; only the first is a valid UTF-16 pair.
    private static readonly string[] SurrogateEscapes =
        [@"\ud83d\ude00", @"\ud800", @"\udbff", @"\udc00", @"\udfff", @"\udc00\ud800", @"\ud800\ud800", @"\ud800\u0041"];

    private static Mutant Mutate(Source s, Kind kind, Random r)
    {
        byte[] file = s.File;
        int dataStart = file.Length - s.Data.Length;
        switch (kind)
        {
            case Kind.DataBitFlip:
            {
                var bytes = (byte[])file.Clone();
                int flips = r.Next(1, 5);
                for (int f = 0; f < flips; f++)
                    bytes[dataStart + r.Next(s.Data.Length)] ^= (byte)(1 << r.Next(8));
                return new(kind, Expect.Load, bytes, $"{flips} flip(s)");
            }
            case Kind.HeaderBitFlip:
            {
                var bytes = (byte[])file.Clone();
                int at = r.Next(dataStart);
                bytes[at] ^= (byte)(1 << r.Next(8));
                return new(kind, Expect.Either, bytes, $"byte {at}");
            }
            case Kind.Truncation:
            {
                int length = r.Next(4) == 0 ? r.Next(dataStart + 1) : r.Next(file.Length);
                return new(kind, Expect.Reject, file[..length], $"to {length} bytes");
            }
            case Kind.AppendedBytes:
            {
                var extra = new byte[r.Next(1, 17)];
                r.NextBytes(extra);
                return new(kind, Expect.Reject, [.. file, .. extra], $"{extra.Length} bytes");
            }
            case Kind.NumberEdit:
            {
                string header = Header(s.Entries);
                var numbers = Regex.Matches(header, @"-?\d+").ToList();
                var m = numbers[r.Next(numbers.Count)];
                long value = long.Parse(m.Value);
                string[] near = [(value + 1).ToString(), (value - 1).ToString(), (value + 4).ToString(), (value * 2).ToString()];
                string replacement = r.Next(2) == 0 ? near[r.Next(near.Length)] : Numbers[r.Next(Numbers.Length)];
                return new(kind, Expect.Either, Crafted.File(header[..m.Index] + replacement + header[(m.Index + m.Length)..], s.Data),
                    $"{m.Value} -> {replacement} at {m.Index}");
            }
            case Kind.DtypeEdit:
            {
                int e = r.Next(s.Entries.Count);
                string dtype = DTypes[r.Next(DTypes.Length)];
                var entries = s.Entries.ToList();
                entries[e] = (entries[e].Key, Regex.Replace(entries[e].Raw, "\"dtype\":\"[^\"]*\"", $"\"dtype\":\"{dtype}\""));
                return new(kind, Expect.Either, Crafted.File(Header(entries), s.Data), $"{entries[e].Key} -> {dtype}");
            }
            case Kind.DuplicateKey:
            {
                var entries = s.Entries.ToList();
                var copy = entries[r.Next(entries.Count)];
                entries.Insert(r.Next(entries.Count + 1), copy);
                return new(kind, Expect.Reject, Crafted.File(Header(entries), s.Data), copy.Key);
            }
            case Kind.DuplicateField:
            {
                var entries = s.Entries.ToList();
                int e = r.Next(entries.Count);
                string field = new[] { "\"dtype\":\"F32\"", "\"shape\":[1]", "\"data_offsets\":[0,0]" }[r.Next(3)];
                entries[e] = (entries[e].Key, entries[e].Raw.Insert(entries[e].Raw.Length - 1, "," + field));
                return new(kind, Expect.Reject, Crafted.File(Header(entries), s.Data), $"{entries[e].Key} + {field}");
            }
            case Kind.RemovedEntry:
            {
                var entries = s.Entries.ToList();
                int e = r.Next(entries.Count);
                string key = entries[e].Key;
                entries.RemoveAt(e);
                // Every fixture tensor holds bytes, so removing one leaves a hole or trailing bytes.
                return new(kind, Expect.Reject, Crafted.File(Header(entries), s.Data), key);
            }
            case Kind.SwappedOffsets:
            {
                var entries = s.Entries.ToList();
                var offsets = entries.Select(x => Regex.Match(x.Raw, @"""data_offsets"":\[(\d+),(\d+)\]")).ToList();
                long Length(int i) => long.Parse(offsets[i].Groups[2].Value) - long.Parse(offsets[i].Groups[1].Value);
                int a = r.Next(entries.Count);
                // Prefer a partner of the same byte length (a valid file); otherwise any partner (a size mismatch).
                var same = Enumerable.Range(0, entries.Count).Where(i => i != a && Length(i) == Length(a)).ToList();
                int b = same.Count > 0 && r.Next(4) != 0 ? same[r.Next(same.Count)] : r.Next(entries.Count);
                entries[a] = (entries[a].Key, entries[a].Raw.Replace(offsets[a].Value, offsets[b].Value));
                entries[b] = (entries[b].Key, s.Entries[b].Raw.Replace(offsets[b].Value, offsets[a].Value));
                return new(kind, Expect.Either, Crafted.File(Header(entries), s.Data), $"{entries[a].Key} <-> {entries[b].Key}");
            }
            case Kind.CharacterEdit:
            {
                string header = Header(s.Entries);
                int at = r.Next(header.Length);
                const string alphabet = "{}[],:\" 0123456789.-eE\\aF";
                char c = alphabet[r.Next(alphabet.Length)];
                string edited = r.Next(3) switch
                {
                    0 => header.Remove(at, 1),
                    1 => header.Insert(at, c.ToString()),
                    _ => header.Remove(at, 1).Insert(at, c.ToString()),
                };
                return new(kind, Expect.Either, Crafted.File(edited, s.Data), $"'{c}' at {at}");
            }
            case Kind.Metadata:
            {
                string value = MetadataValues[r.Next(MetadataValues.Length)];
                var entries = s.Entries.ToList();
                entries.Insert(r.Next(entries.Count + 1), ("__metadata__", value));
                return new(kind, Expect.Either, Crafted.File(Header(entries), s.Data), value);
            }
            case Kind.LengthPrefix:
            {
                var bytes = (byte[])file.Clone();
                long n = BitConverter.ToInt64(bytes, 0);
                long[] choices = [n + 1, n - 1, n + 8, n - 8, 0, file.Length - 8, file.Length, 100_000_001, long.MaxValue, -1];
                long declared = choices[r.Next(choices.Length)];
                BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), declared);
                return new(kind, declared == n ? Expect.Load : Expect.Reject, bytes, $"{n} -> {declared}");
            }
            case Kind.RandomBytes:
            {
                int length = r.Next(0, 600);
                var bytes = new byte[length];
                r.NextBytes(bytes);
                if (length >= 8 && r.Next(2) == 0)
                    BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), (ulong)r.Next(length - 7));
                return new(kind, Expect.Either, bytes, $"{length} bytes");
            }
            case Kind.SurrogateEscape:
            {
                // Into a tensor key (renaming it), a dtype, or a metadata key or value.
                string escape = SurrogateEscapes[r.Next(SurrogateEscapes.Length)];
                bool paired = escape == SurrogateEscapes[0];
                var entries = s.Entries.ToList();
                string key = entries[r.Next(entries.Count)].Key;
                int place = r.Next(3);
                string header = Header(entries);
                string quotedKey = JsonSerializer.Serialize(key) + ":{";
                header = place switch
                {
                    0 => header.Replace(quotedKey, quotedKey[..^3] + escape + "\":{"),
                    1 => header.Replace("\"dtype\":\"", "\"dtype\":\"" + escape),
                    _ => Header(entries.Prepend(("__metadata__", r.Next(2) == 0 ? $"{{\"{escape}\":\"pt\"}}" : $"{{\"format\":\"{escape}\"}}"))),
                };
                var expect = paired && place != 1 ? Expect.Load : Expect.Reject;
                return new(kind, expect, Crafted.File(header, s.Data), $"{escape} in {(place == 0 ? key : place == 1 ? "dtype" : "metadata")}");
            }
            case Kind.DeepNesting:
            {
                // Arrays or objects nested around a number: never valid where the format expects a number or a string.
                int[] depths = [1, 5, 6, 7, 8, 9, 64, 65, 1000];
                int depth = depths[r.Next(depths.Length)];
                bool arrays = r.Next(2) == 0;
                string nested = string.Concat(Enumerable.Repeat(arrays ? "[" : "{\"a\":", depth)) + "1" + new string(arrays ? ']' : '}', depth);
                var entries = s.Entries.ToList();
                string header = r.Next(2) == 0
                    ? Header(entries.Prepend(("__metadata__", $"{{\"format\":{nested}}}")))
                    : Header(entries).Replace("\"shape\":[", "\"shape\":[" + nested + ",");
                return new(kind, Expect.Reject, Crafted.File(header, s.Data), $"{depth} {(arrays ? "arrays" : "objects")}");
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }
}
