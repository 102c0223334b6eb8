using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Numerics;

namespace ResNeStBlocks.Weights;

/// <summary>
/// The format <c>torch.save</c> wrote before PyTorch 1.6 (and still writes with
/// <c>_use_new_zipfile_serialization=False</c>), in which torchvision's older weights are published: five pickles
/// back to back (a magic number, the protocol version 1001, system information, the state dict whose storages are
/// persistent ids, and the list of storage keys), then each storage in that list's order as an 8-byte little-endian
/// element count followed by its raw bytes, up to the end of the file.
/// </summary>
internal static class LegacyCheckpoint
{
    /// <summary>The magic number that opens the legacy format.</summary>
    public static readonly BigInteger Magic = BigInteger.Parse("01950a86a20f9469cfc6c", NumberStyles.HexNumber);

    /// <summary>The only protocol version the legacy format has had.</summary>
    public const long ProtocolVersion = 1001;

    public static CheckpointDescription Describe(Stream stream, Func<string, Exception> fail)
    {
        stream.Position = 0;
        var table = new StorageTable(legacy: true);
        object? Next(string what, Func<PickleTuple, Func<string, Exception>, StorageReference> persistentLoad) =>
            PickleMachine.Read(stream, Math.Min(PyTorchCheckpoint.MaxPickleBytes, stream.Length - stream.Position),
                problem => fail($"the {what} pickle, {problem}"), persistentLoad).Value;
        StorageReference NoStorage(PickleTuple id, Func<string, Exception> failHere) => throw failHere("a persistent id appears outside the state dict's pickle.");

        if (!(Next("magic number", NoStorage) is BigInteger magic && magic == Magic))
            throw fail("the file is a pickle but does not open with torch.save's magic number, so it is not a PyTorch checkpoint.");
        if (Next("protocol version", NoStorage) is not ProtocolVersion)
            throw fail($"the legacy format's protocol version must be {ProtocolVersion}.");
        CheckSystem(Next("system information", NoStorage), fail);
        var tensors = CheckpointDescription.StateDict(Next("state dict's", table.Resolve), fail);
        var keys = Next("storage keys", NoStorage) as PickleList
            ?? throw fail("the storage keys pickle must hold a list of storage keys.");
        var order = new List<StorageReference>();
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in keys.Items)
        {
            if (item is not string key || !listed.Add(key) || !table.Contains(key))
                throw fail($"the storage keys list holds {PickleMachine.Describe(item)}, which is not the key of a storage the state dict names (or is listed twice).");
            order.Add(StorageOf(table, key));
        }
        if (order.Count != table.Storages.Count)
            throw fail($"the storage keys list names {order.Count} of the {table.Storages.Count} storages the state dict uses.");
        return new CheckpointDescription(tensors, Locate(stream, order, CheckpointDescription.Used(tensors), fail));
    }

    private static StorageReference StorageOf(StorageTable table, string key)
    {
        foreach (var storage in table.Storages)
            if (storage.Key == key)
                return storage;
        throw new InvalidOperationException("unreachable: the key was checked");
    }

    private static void CheckSystem(object? value, Func<string, Exception> fail)
    {
        if (value is not PickleDict info)
            throw fail("the system information pickle must hold a dict.");
        foreach (var (key, item) in info.Items)
        {
            if (key is "little_endian" && item is false)
                throw fail("the checkpoint was written on a big-endian machine; only little-endian checkpoints are read. In Python, load and save it again on a little-endian machine.");
            if (key is "little_endian" && item is true)
                return;
        }
        throw fail("the system information does not say little_endian = True.");
    }

    /// <summary>Walks the storages in file order, checking each one's element count against its persistent id, and requires the last to end the file.</summary>
    private static List<StorageLocation> Locate(Stream stream, List<StorageReference> order, IEnumerable<StorageReference> used, Func<string, Exception> fail)
    {
        var positions = new Dictionary<string, long>(StringComparer.Ordinal);
        long position = stream.Position;
        Span<byte> count = stackalloc byte[8];
        foreach (var storage in order)
        {
            if (stream.Length - position < 8)
                throw fail($"the file ends before storage '{storage.Key}' (at byte {position}).");
            stream.Position = position;
            stream.ReadExactly(count);
            long elements = BinaryPrimitives.ReadInt64LittleEndian(count);
            if (elements != storage.Elements)
                throw fail($"storage '{storage.Key}' at byte {position} holds {elements} elements but its persistent id says {storage.Elements}.");
            if (storage.Bytes > stream.Length - position - 8)
                throw fail($"storage '{storage.Key}' needs {storage.Bytes} bytes at byte {position + 8} but the file ends at {stream.Length}.");
            positions[storage.Key] = position + 8;
            position += 8 + storage.Bytes;
        }
        if (position != stream.Length)
            throw fail($"{stream.Length - position} byte(s) follow the last storage.");
        var locations = new List<StorageLocation>();
        foreach (var storage in used)
            locations.Add(new StorageLocation(storage, positions[storage.Key], null, $"storage '{storage.Key}'"));
        return locations;
    }
}
