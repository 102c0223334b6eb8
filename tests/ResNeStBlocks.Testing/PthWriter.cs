using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using static TorchSharp.torch;

namespace ResNeStBlocks.Testing;

/// <summary>
/// Writes a state dict as <c>torch.save(state_dict, path)</c> has since PyTorch 1.6, so that tests can serve checkpoints
/// in torchvision's format without Python: a zip archive of uncompressed entries in one folder, <c>archive/data.pkl</c>
/// (the dict, pickle protocol 2), <c>archive/data/&lt;key&gt;</c> (one raw little-endian storage per tensor) and
/// <c>archive/version</c>.
/// </summary>
/// <remarks>
/// The pickle is what torch writes, less its memo (a cache, not meaning) and the <c>_metadata</c> attribute (module
/// versions, which neither torch.load nor this library needs): <c>collections.OrderedDict()</c> filled by one SETITEMS,
/// each value <c>torch._utils._rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())</c>, each storage the
/// persistent id <c>('storage', torch.FloatStorage, key, 'cpu', numel)</c>. Every tensor gets a storage of its own,
/// written contiguous. Checked once against torch 1.13's <c>torch.load</c>.
/// </remarks>
public static class PthWriter
{
    private static readonly Dictionary<ScalarType, string> StorageClasses = new()
    {
        [ScalarType.Float32] = "FloatStorage",
        [ScalarType.Float64] = "DoubleStorage",
        [ScalarType.Float16] = "HalfStorage",
        [ScalarType.BFloat16] = "BFloat16Storage",
        [ScalarType.Int64] = "LongStorage",
        [ScalarType.Int32] = "IntStorage",
        [ScalarType.Int16] = "ShortStorage",
        [ScalarType.Int8] = "CharStorage",
        [ScalarType.Byte] = "ByteStorage",
        [ScalarType.Bool] = "BoolStorage",
    };

    /// <summary>Writes <paramref name="stateDict"/> to <paramref name="path"/>, keys in the given order.</summary>
    /// <param name="stateDict">Key to tensor, such as <c>module.state_dict()</c>; any device, any strides.</param>
    /// <param name="path">The <c>.pth</c> file to create (replaced if it exists).</param>
    /// <param name="archiveName">The archive's one folder (torch uses the file's stem, or <c>archive</c>).</param>
    public static void Save(IEnumerable<KeyValuePair<string, Tensor>> stateDict, string path, string archiveName = "archive")
    {
        var tensors = stateDict.ToList();
        using var file = File.Create(path);
        using var zip = new ZipArchive(file, ZipArchiveMode.Create);
        // torch writes data.pkl first: readers take the archive's folder from the first entry.
        WriteEntry(zip, $"{archiveName}/data.pkl", Pickle(tensors));
        for (int i = 0; i < tensors.Count; i++)
        {
            using var scope = NewDisposeScope();
            WriteEntry(zip, $"{archiveName}/data/{i}", tensors[i].Value.detach().cpu().contiguous().bytes);
        }
        WriteEntry(zip, $"{archiveName}/version", "3\n"u8);
    }

    /// <summary>torch.save's writer never compresses; .NET stores (method 0) at <see cref="CompressionLevel.NoCompression"/>.</summary>
    private static void WriteEntry(ZipArchive zip, string name, ReadOnlySpan<byte> bytes)
    {
        using var stream = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
        stream.Write(bytes);
    }

    /// <summary>data.pkl: the OrderedDict of tensors, storage keys "0", "1", ... in order.</summary>
    private static byte[] Pickle(IReadOnlyList<KeyValuePair<string, Tensor>> tensors)
    {
        var pickle = new PickleStream();
        pickle.Proto2();
        pickle.EmptyOrderedDict();
        pickle.Mark();
        for (int i = 0; i < tensors.Count; i++)
        {
            var (key, tensor) = (tensors[i].Key, tensors[i].Value);
            if (!StorageClasses.TryGetValue(tensor.dtype, out var storageClass))
                throw new ArgumentException($"{key}: torch has no storage class for {tensor.dtype}.", nameof(tensors));
            pickle.Text(key);
            // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks)
            pickle.Global("torch._utils", "_rebuild_tensor_v2");
            pickle.Mark();
            pickle.Mark();
            pickle.Text("storage");
            pickle.Global("torch", storageClass);
            pickle.Text(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            pickle.Text("cpu");
            pickle.Int(tensor.numel());
            pickle.Tuple();
            pickle.PersistentId();
            pickle.Int(0);
            long[] shape = tensor.shape;
            pickle.IntTuple(shape);
            pickle.IntTuple(ContiguousStrides(shape));
            pickle.False();
            pickle.EmptyOrderedDict();
            pickle.Tuple();
            pickle.Reduce();
        }
        pickle.SetItems();
        pickle.Stop();
        return pickle.ToArray();
    }

    private static long[] ContiguousStrides(long[] shape)
    {
        var strides = new long[shape.Length];
        long stride = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            strides[d] = stride;
            stride *= shape[d];
        }
        return strides;
    }

    /// <summary>The few pickle opcodes a state dict needs (names as in Python's pickletools).</summary>
    private sealed class PickleStream
    {
        private readonly MemoryStream bytes = new();

        public void Proto2() => bytes.Write([0x80, 2]);
        public void Mark() => bytes.WriteByte((byte)'(');
        public void Tuple() => bytes.WriteByte((byte)'t');                // TUPLE: the items since the mark
        public void Reduce() => bytes.WriteByte((byte)'R');               // REDUCE: callable(*args)
        public void SetItems() => bytes.WriteByte((byte)'u');             // SETITEMS: key, value pairs since the mark
        public void PersistentId() => bytes.WriteByte((byte)'Q');         // BINPERSID: the tuple on the stack names a storage
        public void False() => bytes.WriteByte(0x89);                      // NEWFALSE
        public void Stop() => bytes.WriteByte((byte)'.');

        /// <summary>GLOBAL: <c>module.name</c>, looked up by the unpickler.</summary>
        public void Global(string module, string name) => bytes.Write(Encoding.ASCII.GetBytes($"c{module}\n{name}\n"));

        /// <summary><c>collections.OrderedDict()</c>: GLOBAL, EMPTY_TUPLE, REDUCE.</summary>
        public void EmptyOrderedDict()
        {
            Global("collections", "OrderedDict");
            bytes.WriteByte((byte)')');
            Reduce();
        }

        /// <summary>BINUNICODE: 4-byte little-endian length, UTF-8.</summary>
        public void Text(string text)
        {
            byte[] utf8 = Encoding.UTF8.GetBytes(text);
            bytes.WriteByte((byte)'X');
            Int32LittleEndian(utf8.Length);
            bytes.Write(utf8);
        }

        /// <summary>BININT: a signed 4-byte little-endian integer (every size, stride and count of a test checkpoint fits).</summary>
        public void Int(long value)
        {
            if (value is < int.MinValue or > int.MaxValue)
                throw new ArgumentOutOfRangeException(nameof(value), value, "BININT holds 32 bits; this writer has no LONG1.");
            bytes.WriteByte((byte)'J');
            Int32LittleEndian((int)value);
        }

        private void Int32LittleEndian(int value)
        {
            Span<byte> four = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(four, value);
            bytes.Write(four);
        }

        public void IntTuple(IEnumerable<long> values)
        {
            Mark();
            foreach (long value in values)
                Int(value);
            Tuple();
        }

        public byte[] ToArray() => bytes.ToArray();
    }
}
