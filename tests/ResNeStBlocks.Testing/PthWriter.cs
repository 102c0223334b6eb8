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
/// The pickle (written with <see cref="Testing.Pickle"/>) is what torch writes, less the memo entries nothing reads again
/// and the <c>_metadata</c> attribute (module versions, which neither torch.load nor this library needs): <c>collections.OrderedDict()</c> filled by one SETITEMS,
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
        WriteEntry(zip, $"{archiveName}/data.pkl", DataPickle(tensors));
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
    private static byte[] DataPickle(IReadOnlyList<KeyValuePair<string, Tensor>> tensors)
    {
        // OrderedDict's global is memo 0: every tensor's (empty) backward-hooks OrderedDict reuses it, as torch's pickles do.
        var pickle = new Pickle().Proto().Global("collections", "OrderedDict").Put(0).EmptyTuple().Reduce().Mark();
        for (int i = 0; i < tensors.Count; i++)
        {
            var (key, tensor) = (tensors[i].Key, tensors[i].Value);
            if (!StorageClasses.TryGetValue(tensor.dtype, out var storageClass))
                throw new ArgumentException($"{key}: torch has no storage class for {tensor.dtype}.", nameof(tensors));
            long[] shape = tensor.shape;
            pickle.Str(key).Tensor(storageClass, i.ToString(System.Globalization.CultureInfo.InvariantCulture), tensor.numel(), 0, shape, ContiguousStrides(shape));
        }
        return pickle.SetItems().Stop().Bytes();
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
}
