using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using FluentAssertions;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Weights;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Weights;

/// <summary>
/// Thousands of checkpoints derived (with a fixed seed) from the torch-written fixtures: bit flips, truncations and
/// appended bytes of the file; edits, insertions, cuts and forbidden globals inside the pickle (re-wrapped with a
/// correct CRC so that the pickle reader, not the checksum, meets them); resized storages; random bytes. Each must
/// either load, giving tensors that can be read in full, or raise <see cref="PyTorchCheckpointFormatException"/>
/// leaving nothing allocated; no other exception may escape, and every file is decided quickly.
/// </summary>
public class PyTorchCheckpointFuzzTests(ITestOutputHelper output)
{
    private enum Expect { Either, Load, Reject }

    private enum Kind { FileBitFlip, StorageBitFlip, Truncation, AppendedBytes, PickleByteEdit, PickleInsertion, PickleCut, PickleNumberEdit, ForbiddenGlobal, StorageResize, RandomBytes }

    private sealed record Mutant(Kind Kind, Expect Expect, byte[] Bytes, string What);

    private static readonly string[] Forbidden = ["os\nsystem", "posix\nsystem", "builtins\neval", "__builtin__\nexec", "torch\nload", "pickle\nloads", "torch._utils\n_rebuild_tensor"];

    /// <summary>Opcodes worth inserting: every one the reader knows, and some it refuses.</summary>
    private static readonly byte[] Opcodes = Encoding.ASCII.GetBytes("().NKMJGXTUcqrhj)tl]ae}dsuRbQ0123iopPIFLSV").Concat(new byte[] { 0x80, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x93, 0x94, 0x95 }).ToArray();

    [Theory]
    [InlineData("mixed.pth", 1100, 5)]
    [InlineData("mixed_legacy.pth", 900, 6)]
    public void Every_mutant_loads_in_full_or_raises_the_format_exception_with_nothing_allocated(string name, int count, int seed)
    {
        byte[] file = File.ReadAllBytes(Fixtures.File("pth", name));
        bool zip = file[0] == (byte)'P';
        var random = new Random(seed);
        var failures = new List<string>();
        var outcomes = new Dictionary<(Kind, bool), int>();
        var clock = Stopwatch.StartNew();
        var slowest = TimeSpan.Zero;

        for (int i = 0; i < count; i++)
        {
            var kind = (Kind)(i % Enum.GetValues<Kind>().Length);
            var mutant = Mutate(file, zip, kind, random);
            var started = clock.Elapsed;
            bool loaded = Check(mutant, failures, i);
            slowest = TimeSpan.FromTicks(Math.Max(slowest.Ticks, (clock.Elapsed - started).Ticks));
            outcomes[(kind, loaded)] = outcomes.GetValueOrDefault((kind, loaded)) + 1;
        }

        foreach (var kind in Enum.GetValues<Kind>())
            output.WriteLine($"{kind,-16} loaded {outcomes.GetValueOrDefault((kind, true)),4}  rejected {outcomes.GetValueOrDefault((kind, false)),4}");
        output.WriteLine($"{count} mutants of {name} in {clock.ElapsedMilliseconds} ms, slowest {slowest.TotalMilliseconds:0} ms");

        failures.Should().BeEmpty();
        slowest.Should().BeLessThan(TimeSpan.FromSeconds(2), "every file is decided in bounded time");
        // The derivation must exercise both outcomes, or the test could pass by rejecting (or accepting) everything.
        outcomes.Where(o => o.Key.Item2).Sum(o => o.Value).Should().BeGreaterThan(count / 20);
        outcomes.Where(o => !o.Key.Item2).Sum(o => o.Value).Should().BeGreaterThan(count / 3);
        outcomes.GetValueOrDefault((Kind.PickleNumberEdit, true)).Should().BeGreaterThan(0, "some edited sizes and offsets still describe valid views");
        outcomes.GetValueOrDefault((Kind.PickleByteEdit, false)).Should().BeGreaterThan(0);
    }

    /// <summary>Loads one mutant and records anything but a full load or the library's exception; returns whether it loaded.</summary>
    private static bool Check(Mutant mutant, List<string> failures, int index)
    {
        string label = $"#{index} {mutant.Kind} ({mutant.What})";
        using var scope = NewDisposeScope();
        try
        {
            var tensors = CraftedCheckpoint.Load(mutant.Bytes);
            if (mutant.Expect == Expect.Reject)
                failures.Add($"{label}: loaded a file that must be rejected");
            foreach (var (key, tensor) in tensors)
            {
                using var copy = tensor.contiguous();   // reads every element the view reaches
                if (copy.bytes.Length != tensor.numel() * tensor.ElementSize)
                    failures.Add($"{label}: tensor '{key}' has {copy.bytes.Length} bytes for {tensor.numel()} elements");
            }
            return true;
        }
        catch (PyTorchCheckpointFormatException e)
        {
            if (mutant.Expect == Expect.Load)
                failures.Add($"{label}: rejected a file that must load: {e.Message}");
            if (!e.Message.StartsWith(CraftedCheckpoint.Prefix, StringComparison.Ordinal))
                failures.Add($"{label}: message does not name the file: {e.Message}");
            if (scope.DisposablesCount != 0)
                failures.Add($"{label}: {scope.DisposablesCount} tensor(s) left allocated after: {e.Message}");
            return false;
        }
        catch (Exception e)
        {
            failures.Add($"{label}: escaped as {e.GetType().Name}: {e.Message}");
            return false;
        }
    }

    private static Mutant Mutate(byte[] file, bool zip, Kind kind, Random r)
    {
        switch (kind)
        {
            case Kind.FileBitFlip:
            {
                var bytes = (byte[])file.Clone();
                int at = r.Next(bytes.Length);
                bytes[at] ^= (byte)(1 << r.Next(8));
                return new(kind, Expect.Either, bytes, $"byte {at}");
            }
            case Kind.StorageBitFlip:
            {
                // Zip entries carry a CRC-32, so a flipped storage byte is caught; the legacy layout has none and loads it,
                // unless the byte belongs to a bool storage and is no longer 0 or 1.
                var (_, storages) = Split(file, zip);
                var bytes = (byte[])file.Clone();
                var (start, length, type) = storages[r.Next(storages.Count)];
                if (length == 0)
                    return new(kind, Expect.Load, bytes, "empty storage");
                long at = start + r.NextInt64(length);
                bytes[at] ^= (byte)(1 << r.Next(8));
                return new(kind, zip ? Expect.Reject : type == ScalarType.Bool ? Expect.Either : Expect.Load, bytes, $"byte {at} of a {type} storage");
            }
            case Kind.Truncation:
            {
                int length = r.Next(file.Length);
                return new(kind, Expect.Reject, file[..length], $"to {length} bytes");
            }
            case Kind.AppendedBytes:
            {
                var extra = new byte[r.Next(1, 40)];
                r.NextBytes(extra);
                return new(kind, Expect.Reject, [.. file, .. extra], $"{extra.Length} bytes");
            }
            case Kind.PickleByteEdit:
            {
                var pickle = Pickle(file, zip);
                int at = r.Next(pickle.Length);
                pickle[at] = (byte)r.Next(256);
                return new(kind, Expect.Either, WithPickle(file, zip, pickle), $"byte {at}");
            }
            case Kind.PickleInsertion:
            {
                var pickle = Pickle(file, zip).ToList();
                int at = r.Next(pickle.Count);
                byte opcode = Opcodes[r.Next(Opcodes.Length)];
                pickle.Insert(at, opcode);
                return new(kind, Expect.Either, WithPickle(file, zip, pickle.ToArray()), $"0x{opcode:x2} at {at}");
            }
            case Kind.PickleCut:
            {
                var pickle = Pickle(file, zip);
                int at = r.Next(pickle.Length);
                // Ends the pickle at a random byte before its STOP.
                return new(kind, Expect.Reject, WithPickle(file, zip, pickle[..at]), $"to {at} bytes");
            }
            case Kind.PickleNumberEdit:
            {
                // BININT1 arguments hold sizes, strides, offsets and element counts.
                var pickle = Pickle(file, zip);
                var positions = Enumerable.Range(0, pickle.Length - 1).Where(i => pickle[i] == (byte)'K').ToList();
                int at = positions[r.Next(positions.Count)] + 1;
                byte value = (byte)(r.Next(3) switch { 0 => pickle[at] + 1, 1 => pickle[at] - 1, _ => r.Next(256) });
                pickle[at] = value;
                return new(kind, Expect.Either, WithPickle(file, zip, pickle), $"byte {at} -> {value}");
            }
            case Kind.ForbiddenGlobal:
            {
                var pickle = Encoding.Latin1.GetString(Pickle(file, zip));
                string global = Forbidden[r.Next(Forbidden.Length)];
                string edited = r.Next(2) == 0
                    ? pickle.Replace("ccollections\nOrderedDict\n", "c" + global + "\n")
                    : pickle.Replace("ctorch._utils\n_rebuild_tensor_v2\n", "c" + global + "\n");
                return new(kind, edited == pickle ? Expect.Either : Expect.Reject, WithPickle(file, zip, Encoding.Latin1.GetBytes(edited)), global.Replace('\n', '.'));
            }
            case Kind.StorageResize:
            {
                if (!zip)
                {
                    var (_, storages) = Split(file, zip);
                    var (start, length, _) = storages[r.Next(storages.Count)];
                    int at = (int)(start + length / 2);
                    int cut = Math.Min(r.Next(1, 9), file.Length - at);
                    return new(kind, Expect.Reject, [.. file[..at], .. file[(at + cut)..]], $"{cut} bytes cut at {at}");
                }
                var entries = CraftedCheckpoint.Entries(file);
                var storageIndices = Enumerable.Range(0, entries.Length).Where(i => entries[i].Name.Contains("/data/", StringComparison.Ordinal) && entries[i].Data.Length > 0).ToList();
                int e = storageIndices[r.Next(storageIndices.Count)];
                var data = entries[e].Data;
                entries[e] = (entries[e].Name, r.Next(2) == 0 ? data[..^r.Next(1, Math.Min(9, data.Length + 1))] : [.. data, .. new byte[r.Next(1, 9)]]);
                return new(kind, Expect.Reject, CraftedCheckpoint.Zip(entries), entries[e].Name);
            }
            case Kind.RandomBytes:
            {
                var bytes = new byte[r.Next(0, 800)];
                r.NextBytes(bytes);
                if (bytes.Length >= 4 && r.Next(2) == 0)
                    (zip ? "PK\u0003\u0004"u8 : new byte[] { 0x80, 0x02, 0x8a, 0x0a }).CopyTo(bytes);
                return new(kind, Expect.Reject, bytes, $"{bytes.Length} bytes");
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    /// <summary>The state dict's pickle bytes: zip's data.pkl, or the legacy stream's first bytes up to its storages.</summary>
    private static byte[] Pickle(byte[] file, bool zip)
    {
        if (zip)
            return CraftedCheckpoint.Entries(file).Single(e => e.Name.EndsWith("/data.pkl", StringComparison.Ordinal)).Data;
        var (pickles, _) = Split(file, zip);
        return file[..pickles];
    }

    /// <summary>The file with its pickle replaced: re-zipped with correct CRCs, or spliced before the legacy storages.</summary>
    private static byte[] WithPickle(byte[] file, bool zip, byte[] pickle)
    {
        if (!zip)
        {
            var (pickles, _) = Split(file, zip);
            return [.. pickle, .. file[pickles..]];
        }
        var entries = CraftedCheckpoint.Entries(file);
        int index = Array.FindIndex(entries, e => e.Name.EndsWith("/data.pkl", StringComparison.Ordinal));
        entries[index] = (entries[index].Name, pickle);
        return CraftedCheckpoint.Zip(entries);
    }

    /// <summary>Where the pickles end and where each storage's bytes lie, as the reader finds them in the intact file.</summary>
    private static (int PicklesEnd, List<(long Start, long Length, ScalarType Type)> Storages) Split(byte[] file, bool zip)
    {
        using var stream = new MemoryStream(file);
        Func<string, Exception> fail = m => new InvalidOperationException(m);
        var description = zip ? ZipCheckpoint.Describe(stream, fail) : LegacyCheckpoint.Describe(stream, fail);
        var storages = description.Storages.Select(s => (s.Position, s.Storage.Bytes, s.Storage.Type)).ToList();
        return ((int)storages.Min(s => s.Position) - (zip ? 0 : 8), storages);
    }
}
