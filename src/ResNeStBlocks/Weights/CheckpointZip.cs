using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace ResNeStBlocks.Weights;

/// <summary>One stored (uncompressed) zip entry: where its bytes are and the CRC-32 they must have.</summary>
internal sealed record ZipEntry(string Name, long DataStart, long Size, uint Crc32);

/// <summary>
/// The central directory of a <c>torch.save</c> archive, read and checked without trusting any field: the end record
/// (and its zip64 form) must lie at the end of the file, the directory must fill exactly the space it declares, every
/// entry must be stored uncompressed and unencrypted on one disk, with a UTF-8 name free of control characters that is relative, has
/// no empty, <c>.</c> or <c>..</c> segment and is unique, and a local header that repeats its name; entries' bytes lie
/// before the directory and do not overlap. torch writes exactly such archives (its writer never compresses).
/// </summary>
internal static class CheckpointZip
{
    /// <summary>The most entries accepted (a checkpoint has one per storage, plus a few records).</summary>
    public const int MaxEntries = 1_000_000;

    /// <summary>The longest entry name accepted.</summary>
    public const int MaxNameLength = 4096;

    /// <summary>The largest central directory accepted (far more than <see cref="MaxEntries"/> short names need).</summary>
    public const long MaxDirectoryBytes = 256L << 20;

    private const uint EndSignature = 0x06054b50, End64Signature = 0x06064b50, End64LocatorSignature = 0x07064b50;
    private const uint CentralSignature = 0x02014b50, LocalSignature = 0x04034b50;
    private const int EndSize = 22, End64LocatorSize = 20, End64Size = 56, CentralSize = 46, LocalSize = 30;

    /// <summary>Reads the entries of the archive that fills <paramref name="stream"/> from position 0.</summary>
    /// <param name="stream">A seekable stream holding the whole archive.</param>
    /// <param name="fail">Builds the exception for a problem.</param>
    /// <returns>The entries in directory order.</returns>
    public static IReadOnlyList<ZipEntry> Read(Stream stream, Func<string, Exception> fail)
    {
        long length = stream.Length;
        var (count, directorySize, directoryStart, directoryEnd) = ReadEnd(stream, length, fail);
        if (directoryStart > directoryEnd || directorySize != directoryEnd - directoryStart)
            throw fail($"the central directory claims {directorySize} bytes at offset {directoryStart}, which does not end where the end record begins ({directoryEnd}).");
        if (directorySize > MaxDirectoryBytes)
            throw fail($"the central directory claims {directorySize} bytes; at most {MaxDirectoryBytes} are accepted.");
        if (count > MaxEntries)
            throw fail($"the archive declares {count} entries; at most {MaxEntries} are accepted.");
        var directory = ReadAt(stream, directoryStart, (int)directorySize, fail);
        var entries = new List<(ZipEntry Entry, long HeaderStart)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        int at = 0;
        for (long i = 0; i < count; i++)
        {
            var (entry, headerStart, next) = ReadCentral(directory, at, fail);
            if (!names.Add(entry.Name))
                throw fail($"entry '{entry.Name}' appears twice.");
            entries.Add((entry, headerStart));
            at = next;
        }
        if (at != directory.Length)
            throw fail($"the central directory holds {directory.Length - at} byte(s) after its {count} declared entries.");

        var checkedEntries = entries.Select(e => CheckLocal(stream, e.Entry, e.HeaderStart, directoryStart, fail)).ToList();
        var byStart = entries.Select((e, i) => (e.HeaderStart, End: checkedEntries[i].DataStart + checkedEntries[i].Size, checkedEntries[i].Name))
            .OrderBy(e => e.HeaderStart).ToList();
        for (int i = 1; i < byStart.Count; i++)
            if (byStart[i].HeaderStart < byStart[i - 1].End)
                throw fail($"entries '{byStart[i - 1].Name}' and '{byStart[i].Name}' overlap.");
        return checkedEntries;
    }

    private static (long Count, long DirectorySize, long DirectoryStart, long DirectoryEnd) ReadEnd(Stream stream, long length, Func<string, Exception> fail)
    {
        if (length < EndSize)
            throw fail($"the file is {length} bytes long, too short for a zip archive's end record.");
        int tailLength = (int)Math.Min(length, EndSize + ushort.MaxValue);
        var tail = ReadAt(stream, length - tailLength, tailLength, fail);
        int endAt = -1;
        // The end record is the last signature whose comment runs exactly to the end of the file.
        for (int i = tail.Length - EndSize; i >= 0; i--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(i)) == EndSignature
                && BinaryPrimitives.ReadUInt16LittleEndian(tail.AsSpan(i + 20)) == tail.Length - i - EndSize)
            {
                endAt = i;
                break;
            }
        }
        if (endAt < 0)
            throw fail("no zip end record lies at the end of the file (is it truncated?).");
        var end = tail.AsSpan(endAt);
        long endStart = length - tailLength + endAt;
        ushort disk = U16(end, 4), directoryDisk = U16(end, 6);
        long countOnDisk = U16(end, 8), count = U16(end, 10);
        long directorySize = U32(end, 12), directoryStart = U32(end, 16);
        if (disk != 0 || directoryDisk != 0 || countOnDisk != count)
            throw fail("the archive spans several disks; torch writes one file.");
        bool needs64 = count == 0xFFFF || directorySize == 0xFFFFFFFF || directoryStart == 0xFFFFFFFF;

        // torch's writer (miniz) always adds a zip64 end record and its locator just before the end record.
        bool has64 = endStart >= End64LocatorSize + End64Size
            && U32(ReadAt(stream, endStart - End64LocatorSize, 4, fail), 0) == End64LocatorSignature;
        if (!has64)
        {
            if (needs64)
                throw fail("the end record asks for zip64 fields but no zip64 locator precedes it.");
            return (count, directorySize, directoryStart, endStart);
        }
        var locator = ReadAt(stream, endStart - End64LocatorSize, End64LocatorSize, fail);
        if (U32(locator, 4) != 0 || U32(locator, 16) != 1)
            throw fail("the zip64 locator names several disks; torch writes one file.");
        long end64Start = U64(locator, 8);
        if (end64Start != endStart - End64LocatorSize - End64Size)
            throw fail($"the zip64 end record is said to be at offset {end64Start}, not just before its locator.");
        var end64 = ReadAt(stream, end64Start, End64Size, fail);
        if (U32(end64, 0) != End64Signature || U64(end64, 4) != End64Size - 12 || U32(end64, 16) != 0 || U32(end64, 20) != 0)
            throw fail("the zip64 end record is malformed or spans several disks.");
        long count64 = U64(end64, 24), size64 = U64(end64, 40), start64 = U64(end64, 48);
        if (count64 != U64(end64, 32))
            throw fail("the archive spans several disks; torch writes one file.");
        if ((count != 0xFFFF && count != count64) || (directorySize != 0xFFFFFFFF && directorySize != size64)
            || (directoryStart != 0xFFFFFFFF && directoryStart != start64))
            throw fail("the end record and the zip64 end record disagree about the central directory.");
        return (count64, size64, start64, end64Start);
    }

    private static (ZipEntry Entry, long HeaderStart, int Next) ReadCentral(byte[] directory, int at, Func<string, Exception> fail)
    {
        if (directory.Length - at < CentralSize || U32(directory, at) != CentralSignature)
            throw fail($"central directory record at byte {at} of the directory is missing or malformed.");
        var record = directory.AsSpan(at);
        ushort flags = U16(record, 8), method = U16(record, 10);
        uint crc = (uint)U32(record, 16);
        long compressed = U32(record, 20), size = U32(record, 24);
        int nameLength = U16(record, 28), extraLength = U16(record, 30), commentLength = U16(record, 32);
        long diskStart = U16(record, 34), headerStart = U32(record, 42);
        int next = at + CentralSize + nameLength + extraLength + commentLength;
        if (next > directory.Length)
            throw fail($"central directory record at byte {at} of the directory runs past the directory's end.");
        string name = Name(record.Slice(CentralSize, nameLength), fail);
        var extra = record.Slice(CentralSize + nameLength, extraLength);
        ReadZip64Extra(extra, name, ref size, ref compressed, ref headerStart, ref diskStart, fail);
        if ((flags & 0x41) != 0)
            throw fail($"entry '{name}' is encrypted.");
        if (method != 0)
            throw fail($"entry '{name}' is compressed (method {method}); torch.save stores entries uncompressed.");
        if (compressed != size)
            throw fail($"entry '{name}' is stored but its compressed size {compressed} differs from its size {size}.");
        if (diskStart != 0)
            throw fail($"entry '{name}' starts on disk {diskStart}; torch writes one file.");
        return (new ZipEntry(name, -1, size, crc), headerStart, next);
    }

    /// <summary>Replaces the 32-bit fields set to 0xFFFFFFFF by their 64-bit values from the zip64 extra field, in the order zip defines.</summary>
    private static void ReadZip64Extra(ReadOnlySpan<byte> extra, string name, ref long size, ref long compressed, ref long headerStart, ref long diskStart, Func<string, Exception> fail)
    {
        while (extra.Length > 0)
        {
            if (extra.Length < 4)
                throw fail($"entry '{name}' has a truncated extra field.");
            ushort id = U16(extra, 0), blockLength = U16(extra, 2);
            if (blockLength > extra.Length - 4)
                throw fail($"entry '{name}' has an extra field that runs past its end.");
            var block = extra.Slice(4, blockLength);
            if (id == 0x0001)
            {
                int used = 0;
                if (size == 0xFFFFFFFF) size = Next64(block, ref used, name, fail);
                if (compressed == 0xFFFFFFFF) compressed = Next64(block, ref used, name, fail);
                if (headerStart == 0xFFFFFFFF) headerStart = Next64(block, ref used, name, fail);
                if (diskStart == 0xFFFF)
                    diskStart = block.Length - used >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(block[used..]) : throw fail($"entry '{name}' has a zip64 extra field without its disk number.");
            }
            extra = extra[(4 + blockLength)..];
        }
        if (size == 0xFFFFFFFF || compressed == 0xFFFFFFFF || headerStart == 0xFFFFFFFF)
            throw fail($"entry '{name}' asks for zip64 values but has no zip64 extra field.");
    }

    private static long Next64(ReadOnlySpan<byte> block, ref int used, string name, Func<string, Exception> fail)
    {
        if (block.Length - used < 8)
            throw fail($"entry '{name}' has a zip64 extra field too short for the values it replaces.");
        long value = (long)BinaryPrimitives.ReadUInt64LittleEndian(block[used..]);
        used += 8;
        return value < 0 ? throw fail($"entry '{name}' has a zip64 size or offset beyond 2^63.") : value;
    }

    private static ZipEntry CheckLocal(Stream stream, ZipEntry entry, long headerStart, long directoryStart, Func<string, Exception> fail)
    {
        if (headerStart > directoryStart - LocalSize)
            throw fail($"entry '{entry.Name}' has its local header at offset {headerStart}, past the start of the central directory ({directoryStart}).");
        var header = ReadAt(stream, headerStart, LocalSize, fail);
        if (U32(header, 0) != LocalSignature)
            throw fail($"entry '{entry.Name}' has no local header at offset {headerStart}.");
        if (U16(header, 8) != 0)
            throw fail($"entry '{entry.Name}' is compressed in its local header; torch.save stores entries uncompressed.");
        int nameLength = U16(header, 26), extraLength = U16(header, 28);
        long dataStart = headerStart + LocalSize + nameLength + extraLength;
        if (nameLength != StrictUtf8.GetByteCount(entry.Name) || dataStart > directoryStart
            || !ReadAt(stream, headerStart + LocalSize, nameLength, fail).AsSpan().SequenceEqual(StrictUtf8.GetBytes(entry.Name)))
            throw fail($"entry '{entry.Name}' has a local header whose name differs from the central directory's.");
        if (entry.Size > directoryStart - dataStart)
            throw fail($"entry '{entry.Name}' declares {entry.Size} bytes at offset {dataStart}, which run into the central directory at {directoryStart}.");
        return entry with { DataStart = dataStart };
    }

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>A name as torch writes it: UTF-8 (the file's stem may hold any letter), no control character or backslash, relative, no empty, '.' or '..' segment.</summary>
    private static string Name(ReadOnlySpan<byte> bytes, Func<string, Exception> fail)
    {
        if (bytes.Length is 0 or > MaxNameLength)
            throw fail($"an entry name has {bytes.Length} bytes; 1 to {MaxNameLength} are accepted.");
        string name;
        try
        {
            name = StrictUtf8.GetString(bytes);
        }
        catch (System.Text.DecoderFallbackException)
        {
            throw fail("an entry name is not valid UTF-8.");
        }
        if (name.Any(c => char.IsControl(c) || c == '\\'))
            throw fail("an entry name holds a control character or a backslash; torch writes plain relative names.");
        if (name.StartsWith('/') || name.Split('/').Any(s => s is "" or "." or ".."))
            throw fail($"entry name '{name}' is absolute or has an empty, '.' or '..' segment.");
        return name;
    }

    /// <summary>Reads <paramref name="count"/> bytes at <paramref name="offset"/>, which the caller has checked lie inside the file.</summary>
    private static byte[] ReadAt(Stream stream, long offset, int count, Func<string, Exception> fail)
    {
        if (offset < 0 || count < 0 || offset > stream.Length - count)
            throw fail($"{count} bytes at offset {offset} lie outside the {stream.Length}-byte file.");
        var bytes = new byte[count];
        stream.Position = offset;
        try
        {
            stream.ReadExactly(bytes);
        }
        catch (EndOfStreamException e)
        {
            throw fail($"the file ended while reading {count} bytes at offset {offset} (was it changed while being read?): {e.Message}");
        }
        return bytes;
    }

    private static ushort U16(ReadOnlySpan<byte> bytes, int at) => BinaryPrimitives.ReadUInt16LittleEndian(bytes[at..]);

    private static long U32(ReadOnlySpan<byte> bytes, int at) => BinaryPrimitives.ReadUInt32LittleEndian(bytes[at..]);

    private static long U64(ReadOnlySpan<byte> bytes, int at)
    {
        ulong value = BinaryPrimitives.ReadUInt64LittleEndian(bytes[at..]);
        return value > long.MaxValue ? long.MaxValue : (long)value;
    }
}
