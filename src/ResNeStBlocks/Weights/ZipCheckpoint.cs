using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace ResNeStBlocks.Weights;

/// <summary>
/// The archive <c>torch.save</c> has written since PyTorch 1.6: one top folder (<c>archive/</c> or the file's stem)
/// holding <c>data.pkl</c> (the state dict, pickle protocol 2), <c>data/&lt;key&gt;</c> (one raw little-endian storage per
/// key) and small records (<c>version</c>, <c>byteorder</c>, <c>.data/</c>, and names starting with '.').
/// </summary>
internal static class ZipCheckpoint
{
    public static CheckpointDescription Describe(Stream stream, Func<string, Exception> fail)
    {
        var entries = CheckpointZip.Read(stream, fail);
        if (entries.Count == 0)
            throw fail("the zip archive is empty; torch.save writes data.pkl and the storages.");
        if (entries[0].Name.IndexOf('/') < 0)
            throw fail(entries.Count == 1
                ? $"the zip archive holds the single file '{entries[0].Name}' (a zipped checkpoint, as torch.hub once accepted): unzip it and load the file inside."
                : $"entry '{entries[0].Name}' is not inside a folder; torch.save puts every record in one folder (such as archive/).");
        string folder = entries[0].Name.Split('/')[0];
        string prefix = folder + "/";
        ZipEntry? pickle = null;
        var storageEntries = new Dictionary<string, ZipEntry>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (!entry.Name.StartsWith(prefix, StringComparison.Ordinal))
                throw fail($"entry '{entry.Name}' lies outside the archive's folder '{folder}/'; torch.save puts every record in one folder.");
            string record = entry.Name[prefix.Length..];
            if (record == "data.pkl")
                pickle = entry;
            else if (record.StartsWith("data/", StringComparison.Ordinal) && record.IndexOf('/', 5) < 0)
                storageEntries.Add(record[5..], entry);
            else if (record == "byteorder")
                CheckByteOrder(stream, entry, fail);
            else if (record is "constants.pkl" or "code" || record.StartsWith("code/", StringComparison.Ordinal))
                throw fail($"entry '{entry.Name}' belongs to a TorchScript archive (torch.jit.save), not a state dict: in Python, save torch.jit.load(path).state_dict() with torch.save.");
            else if (!(record == "version" || record.StartsWith('.')))
                throw fail($"entry '{entry.Name}' is not one torch.save writes (data.pkl, data/<key>, version, byteorder, .data/...).");
        }
        if (pickle is null)
            throw fail($"the archive has no '{prefix}data.pkl', so it is not a torch.save checkpoint.");
        if (pickle.Size > PyTorchCheckpoint.MaxPickleBytes)
            throw fail($"'{pickle.Name}' is {pickle.Size} bytes; at most {PyTorchCheckpoint.MaxPickleBytes} are accepted.");

        var bytes = ReadEntry(stream, pickle, fail);
        var table = new StorageTable(legacy: false);
        using var pickleStream = new MemoryStream(bytes, writable: false);
        var (root, used) = PickleMachine.Read(pickleStream, bytes.Length, problem => fail($"'{pickle.Name}', {problem}"), table.Resolve);
        if (used != bytes.Length)
            throw fail($"'{pickle.Name}' has {bytes.Length - used} byte(s) after its STOP opcode.");
        var tensors = CheckpointDescription.StateDict(root, fail);

        foreach (var key in storageEntries.Keys)
            if (!table.Contains(key))
                throw fail($"entry '{storageEntries[key].Name}' is a storage that no persistent id in data.pkl names.");
        var locations = new List<StorageLocation>();
        foreach (var storage in table.Storages)
        {
            if (!storageEntries.TryGetValue(storage.Key, out var entry))
                throw fail($"storage '{storage.Key}' named in data.pkl has no entry '{prefix}data/{storage.Key}'.");
            if (entry.Size != storage.Bytes)
                throw fail($"entry '{entry.Name}' holds {entry.Size} bytes but storage '{storage.Key}' is {storage.Elements} x {storage.TypeName} = {storage.Bytes} bytes.");
        }
        foreach (var storage in CheckpointDescription.Used(tensors))
        {
            var entry = storageEntries[storage.Key];
            locations.Add(new StorageLocation(storage, entry.DataStart, entry.Crc32, $"entry '{entry.Name}'"));
        }
        return new CheckpointDescription(tensors, locations);
    }

    private static void CheckByteOrder(Stream stream, ZipEntry entry, Func<string, Exception> fail)
    {
        if (entry.Size > 16)
            throw fail($"'{entry.Name}' is {entry.Size} bytes; it holds 'little' or 'big'.");
        string order = System.Text.Encoding.ASCII.GetString(ReadEntry(stream, entry, fail));
        if (order == "big")
            throw fail("the storages are big-endian (byteorder 'big'); only little-endian checkpoints are read. In Python, load and save it again on a little-endian machine.");
        if (order != "little")
            throw fail($"'{entry.Name}' holds '{order}'; torch writes 'little' or 'big'.");
    }

    private static byte[] ReadEntry(Stream stream, ZipEntry entry, Func<string, Exception> fail)
    {
        var bytes = new byte[entry.Size];
        stream.Position = entry.DataStart;
        try
        {
            stream.ReadExactly(bytes);
        }
        catch (EndOfStreamException)
        {
            throw fail($"the file ended inside entry '{entry.Name}' (was it changed while being read?).");
        }
        uint crc = Crc32.Compute(bytes);
        if (crc != entry.Crc32)
            throw fail($"entry '{entry.Name}' fails its CRC-32 check (stored {entry.Crc32:x8}, computed {crc:x8}): the file is corrupt.");
        return bytes;
    }
}
