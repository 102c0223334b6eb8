using System;
using System.Collections.Generic;
using System.IO;
using static TorchSharp.torch;

namespace ResNeStBlocks.Weights;

/// <summary>Where one storage's bytes lie in the file, and the CRC-32 they must have (zip entries carry one).</summary>
internal sealed record StorageLocation(StorageReference Storage, long Position, uint? Crc32, string Entry);

/// <summary>
/// The last step of reading a checkpoint, shared by both formats: the state dict has been described and every
/// storage located and checked against the file, so only now is memory allocated: one CPU tensor per storage,
/// filled straight from the file, then each state-dict tensor as the view of its storage that the file describes
/// (tensors that share a storage in the file share it here too, as with <c>torch.load</c>).
/// </summary>
internal static class CheckpointTensors
{
    /// <summary>The state dict's tensors as views of their storages, in the file's order.</summary>
    public static Dictionary<string, Tensor> Materialize(Stream stream, IReadOnlyList<KeyValuePair<string, TensorReference>> tensors,
        IReadOnlyList<StorageLocation> storages, Func<string, Exception> fail)
    {
        var filled = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var location in storages)
                filled.Add(location.Storage.Key, Fill(stream, location, fail));
            foreach (var (key, tensor) in tensors)
                result.Add(key, filled[tensor.Storage.Key].as_strided(tensor.Shape, tensor.Strides, tensor.Offset));
            return result;
        }
        catch
        {
            foreach (var tensor in result.Values)
                tensor.Dispose();
            throw;
        }
        finally
        {
            // The views keep their storages alive; these handles are no longer needed.
            foreach (var storage in filled.Values)
                storage.Dispose();
        }
    }

    private static Tensor Fill(Stream stream, StorageLocation location, Func<string, Exception> fail)
    {
        var storage = location.Storage;
        var tensor = empty(new[] { storage.Elements }, storage.Type, CPU);
        try
        {
            stream.Position = location.Position;
            var crc = new Crc32();
            bool isBool = storage.Type == ScalarType.Bool;
            TensorBytes.ReadInto(stream, tensor,
                e => fail($"the file ended inside {location.Entry} (was it changed while being read?)."),
                piece =>
                {
                    if (location.Crc32 is not null)
                        crc.Append(piece);
                    if (isBool && !TensorBytes.IsBoolean(piece))
                        throw fail($"{location.Entry} is a BoolStorage holding a byte that is neither 0 nor 1.");
                });
            if (location.Crc32 is uint expected && crc.Value != expected)
                throw fail($"{location.Entry} fails its CRC-32 check (stored {expected:x8}, computed {crc.Value:x8}): the file is corrupt.");
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }
}
