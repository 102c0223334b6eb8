using System;
using System.Collections.Generic;
using System.IO;
using static TorchSharp.torch;

namespace ResNeStBlocks.Weights;

/// <summary>
/// Reads PyTorch state dicts saved with <c>torch.save(model.state_dict(), path)</c> (<c>.pth</c>, <c>.pt</c>), such as
/// torchvision's published weights, without Python and without running anything the file asks for.
/// </summary>
/// <remarks>
/// <para>Two layouts are read: the zip archive <c>torch.save</c> has written since PyTorch 1.6 (<c>data.pkl</c>,
/// <c>data/&lt;key&gt;</c>, <c>version</c>, <c>byteorder</c>), and the pickle stream it wrote before (and with
/// <c>_use_new_zipfile_serialization=False</c>), in which torchvision's older weights are published. TorchScript
/// archives, tar files from PyTorch before 0.4 and anything else are rejected with a message that says what the file is.</para>
/// <para>The pickle is read by a restricted reader that calls nothing: it accepts only dicts, OrderedDicts (with the
/// <c>_metadata</c> torch attaches), tuples and lists, strings, integers, floats, booleans and None, the globals
/// <c>collections.OrderedDict</c>, <c>torch._utils._rebuild_tensor_v2</c>, <c>torch._utils._rebuild_parameter</c> and
/// <c>torch.{Float,Double,Half,BFloat16,Long,Int,Short,Char,Byte,Bool}Storage</c>, and storages as persistent ids;
/// <c>argparse.Namespace</c> (the command line a training script saves) is read as an inert record of those values and
/// never constructed. Any other global (<c>os.system</c>, <c>builtins.eval</c>, any class) or opcode raises
/// <see cref="PyTorchCheckpointFormatException"/> naming it.</para>
/// <para>Training checkpoints load too: a dict holding the weights beside <c>optimizer</c>, <c>lr_scheduler</c>,
/// <c>epoch</c>, <c>args</c> and the like, as torchvision's <c>references/*/train.py</c> (weights under
/// <c>model</c>) and timm's <c>train.py</c> (under <c>state_dict</c>) write them. The weights are the entry
/// <c>state_dict</c>, else <c>model</c> (timm's <c>load_state_dict</c> order without EMA); the EMA copies
/// (<c>state_dict_ema</c>, <c>model_ema</c>) are not taken. Everything else in the file is read and checked as strictly,
/// and its tensors are never allocated.</para>
/// <para>The whole file is checked before any tensor memory is allocated: zip structure (end record, directory,
/// entries stored uncompressed, names, sizes, overlaps, CRC-32 of <c>data.pkl</c>), pickle (opcodes, lengths against
/// the bytes left, memo indices, nesting at most <see cref="MaxNesting"/>, at most <see cref="MaxPickleBytes"/> bytes,
/// no repeated dict key), every storage's size against its entry (or, in the legacy layout, its element count header,
/// with no byte left over), and every tensor's offset, size and stride against its storage (at most
/// <see cref="MaxDimensions"/> dimensions, no negative value, no overflow). Memory allocated then is exactly the
/// storages the state dict uses, never more than the file's size; each storage's CRC-32 is checked as it is read,
/// and a failure there disposes everything allocated.</para>
/// <para>Tensors keep the element type of their storage (float32, float64, float16, bfloat16, int64, int32, int16,
/// int8, uint8, bool) and are the views the file describes: strided (non-contiguous) tensors keep their strides, and
/// tensors that share a storage share it here too, as after <c>torch.load</c>.</para>
/// <para>Thread safety: calls on distinct streams or paths share no state.</para>
/// </remarks>
public static class PyTorchCheckpoint
{
    /// <summary>The largest pickle accepted (100 MB; a state dict's pickle is some kilobytes per hundred tensors).</summary>
    internal const long MaxPickleBytes = 100_000_000;

    /// <summary>The deepest nesting of containers accepted; a state dict needs 3 (the attributes that carry <c>_metadata</c>, its OrderedDict, one module's version dict).</summary>
    internal const int MaxNesting = 32;

    /// <summary>The most dimensions a tensor may have.</summary>
    internal const int MaxDimensions = 16;

    /// <summary>Reads the state dict of a checkpoint file onto the CPU.</summary>
    /// <param name="path">The <c>.pth</c> file.</param>
    /// <returns>Key to tensor, in the file's order. The caller owns (and disposes) the tensors.</returns>
    /// <exception cref="PyTorchCheckpointFormatException">The file is malformed or is neither a state dict nor a training checkpoint; nothing is left allocated.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static Dictionary<string, Tensor> Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return Load(stream, path);
    }

    /// <summary>Reads the state dict of a checkpoint held by a stream onto the CPU.</summary>
    /// <param name="stream">A readable, seekable stream; the file runs from position 0 to its end. It is not disposed.</param>
    /// <param name="source">A name for error messages.</param>
    /// <returns>Key to tensor, in the file's order. The caller owns (and disposes) the tensors.</returns>
    /// <exception cref="PyTorchCheckpointFormatException">The content is malformed or is neither a state dict nor a training checkpoint; nothing is left allocated.</exception>
    /// <exception cref="ArgumentException">The stream cannot read or seek.</exception>
    public static Dictionary<string, Tensor> Load(Stream stream, string source = "stream")
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(source);
        if (!stream.CanRead || !stream.CanSeek)
            throw new ArgumentException("Reading a PyTorch checkpoint needs a readable, seekable stream.", nameof(stream));
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Reading a PyTorch checkpoint needs a little-endian machine.");
        Exception Fail(string problem) => new PyTorchCheckpointFormatException($"Invalid PyTorch checkpoint '{source}': {problem}");
        var description = Describe(stream, Fail);
        return CheckpointTensors.Materialize(stream, description.Tensors, description.Storages, Fail);
    }

    /// <summary>Whether a file's first bytes are those of a checkpoint this class reads: a zip archive or a legacy pickle stream.</summary>
    /// <param name="start">The file's first bytes (at least 4 are needed to say yes).</param>
    /// <returns>True for the zip signature or a pickle's protocol opcode followed by a LONG1 (the legacy magic number).</returns>
    internal static bool HasSignature(ReadOnlySpan<byte> start) => IsZip(start) || IsLegacy(start);

    private static bool IsZip(ReadOnlySpan<byte> start) =>
        start.Length >= 4 && start[0] == (byte)'P' && start[1] == (byte)'K' && ((start[2] == 3 && start[3] == 4) || (start[2] == 5 && start[3] == 6));

    private static bool IsLegacy(ReadOnlySpan<byte> start) => start.Length >= 4 && start[0] == 0x80 && start[1] is >= 2 and <= 5 && start[2] == 0x8a;

    private static CheckpointDescription Describe(Stream stream, Func<string, Exception> fail)
    {
        stream.Position = 0;
        Span<byte> start = stackalloc byte[512];
        int read = stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
        start = start[..read];
        if (IsZip(start))
            return ZipCheckpoint.Describe(stream, fail);
        if (IsLegacy(start))
            return LegacyCheckpoint.Describe(stream, fail);
        throw fail(Identify(start));
    }

    /// <summary>Says what a file that is not a checkpoint appears to be.</summary>
    private static string Identify(ReadOnlySpan<byte> start)
    {
        if (start.Length == 0)
            return "the file is empty.";
        if (start.Length >= 262 && start.Slice(257, 5).SequenceEqual("ustar"u8))
            return "the file is a tar archive, the format of PyTorch before 0.4, which is not read: in Python, load it and torch.save it again.";
        if (start.Length >= 9 && start[8] == (byte)'{')
            return "the file looks like safetensors, not a PyTorch checkpoint: read it with SafeTensors.Load (module.LoadWeights reads either).";
        if (start[0] == 0x80)
            return "the file is a pickle but not torch.save's legacy format (which opens with its magic number).";
        string prefix = Convert.ToHexString(start[..Math.Min(4, start.Length)]);
        return $"the file starts with bytes {prefix}; torch.save writes a zip archive (504B0304) or, before PyTorch 1.6, a pickle stream (8002).";
    }
}
