using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Weights;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Weights;

/// <summary>Builds pickles and torch.save-style zip archives byte by byte, so that tests can break any rule on purpose.</summary>
internal static class CraftedCheckpoint
{
    /// <summary>The source name the reader puts in its messages for crafted streams.</summary>
    public const string Source = "crafted";

    /// <summary>The message prefix of every rejection of a crafted stream.</summary>
    public const string Prefix = "Invalid PyTorch checkpoint 'crafted': ";

    /// <summary>Six float32 values 0..5: the storage of <see cref="StateDict"/>'s default tensor.</summary>
    public static byte[] SixFloats => Enumerable.Range(0, 6).SelectMany(i => BitConverter.GetBytes((float)i)).ToArray();

    /// <summary>
    /// torch.save's pickle of <c>OrderedDict(w=tensor)</c> with the given view of storage '0', as protocol 2 writes it;
    /// <paramref name="edit"/> may change the pickle just before the tensor's REDUCE (to add or swap opcodes).
    /// </summary>
    public static byte[] StateDict(long offset = 0, long[]? size = null, long[]? stride = null, string storageType = "FloatStorage",
        long elements = 6, string key = "w")
    {
        size ??= new long[] { 2, 3 };
        stride ??= new long[] { 3, 1 };
        return new Pickle().Proto().Global("collections", "OrderedDict").Put(0).EmptyTuple().Reduce().Mark()
            .Str(key).Tensor(storageType, "0", elements, offset, size, stride).SetItems().Stop().Bytes();
    }

    /// <summary>A zip archive as torch.save lays it out: <c>archive/data.pkl</c>, <c>archive/data/&lt;key&gt;</c>, <c>archive/version</c>.</summary>
    public static byte[] Archive(byte[] pickle, params (string Key, byte[] Data)[] storages) =>
        Zip(new[] { ("archive/data.pkl", pickle) }.Concat(storages.Select(s => ("archive/data/" + s.Key, s.Data)))
            .Append(("archive/version", Encoding.ASCII.GetBytes("3\n"))).ToArray());

    /// <summary>A stored (uncompressed) zip archive with correct CRCs, local headers, central directory and end record.</summary>
    public static byte[] Zip(params (string Name, byte[] Data)[] entries)
    {
        var file = new MemoryStream();
        var writer = new BinaryWriter(file);
        var offsets = new List<long>();
        foreach (var (name, data) in entries)
        {
            offsets.Add(file.Position);
            var nameBytes = Encoding.UTF8.GetBytes(name);
            writer.Write(0x04034b50u); writer.Write((ushort)20); writer.Write((ushort)0); writer.Write((ushort)0);
            writer.Write(0u); writer.Write(Crc32.Compute(data)); writer.Write((uint)data.Length); writer.Write((uint)data.Length);
            writer.Write((ushort)nameBytes.Length); writer.Write((ushort)0); writer.Write(nameBytes); writer.Write(data);
        }
        long directoryStart = file.Position;
        for (int i = 0; i < entries.Length; i++)
        {
            var (name, data) = entries[i];
            var nameBytes = Encoding.UTF8.GetBytes(name);
            writer.Write(0x02014b50u); writer.Write((ushort)20); writer.Write((ushort)20); writer.Write((ushort)0); writer.Write((ushort)0);
            writer.Write(0u); writer.Write(Crc32.Compute(data)); writer.Write((uint)data.Length); writer.Write((uint)data.Length);
            writer.Write((ushort)nameBytes.Length); writer.Write((ushort)0); writer.Write((ushort)0); writer.Write((ushort)0);
            writer.Write((ushort)0); writer.Write(0u); writer.Write((uint)offsets[i]); writer.Write(nameBytes);
        }
        long directoryEnd = file.Position;
        writer.Write(0x06054b50u); writer.Write((ushort)0); writer.Write((ushort)0);
        writer.Write((ushort)entries.Length); writer.Write((ushort)entries.Length);
        writer.Write((uint)(directoryEnd - directoryStart)); writer.Write((uint)directoryStart); writer.Write((ushort)0);
        writer.Flush();
        return file.ToArray();
    }

    /// <summary>The entries of a stored zip archive, in order (read with .NET's own zip reader).</summary>
    public static (string Name, byte[] Data)[] Entries(byte[] zip)
    {
        using var archive = new System.IO.Compression.ZipArchive(new MemoryStream(zip), System.IO.Compression.ZipArchiveMode.Read);
        return archive.Entries.Select(e =>
        {
            using var stream = e.Open();
            var data = new MemoryStream();
            stream.CopyTo(data);
            return (e.FullName, data.ToArray());
        }).ToArray();
    }

    /// <summary>Reads crafted bytes, returning the tensors (which the caller disposes, or a dispose scope collects).</summary>
    public static Dictionary<string, Tensor> Load(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        return PyTorchCheckpoint.Load(stream, Source);
    }
}
