using System;
using System.IO;
using static TorchSharp.torch;

namespace ResNeStBlocks.Weights;

/// <summary>Streams raw little-endian bytes from a file straight into a contiguous CPU tensor's memory.</summary>
internal static class TensorBytes
{
    /// <summary>Largest piece read or written at once, so that no span exceeds the 2 GiB a span can address.</summary>
    public const long ChunkBytes = 1L << 26;

    /// <summary>Receives each piece of a tensor's bytes just after it was read.</summary>
    public delegate void PieceInspector(ReadOnlySpan<byte> piece);

    /// <summary>Fills <paramref name="tensor"/> from the stream's current position, piece by piece.</summary>
    /// <param name="stream">The file, positioned at the tensor's first byte.</param>
    /// <param name="tensor">A freshly allocated contiguous CPU tensor.</param>
    /// <param name="ended">Builds the exception for a stream that ends early (a file shrinking while read).</param>
    /// <param name="inspect">Checks each piece (a checksum, the bytes of a bool tensor), or null.</param>
    public static void ReadInto(Stream stream, Tensor tensor, Func<EndOfStreamException, Exception> ended, PieceInspector? inspect)
    {
        long elementSize = tensor.ElementSize;
        long total = tensor.numel();
        if (total == 0)
            return;
        if (total * elementSize <= ChunkBytes)
        {
            ReadPiece(stream, tensor, ended, inspect);
            return;
        }
        using var flat = tensor.view(-1);
        long step = ChunkBytes / elementSize;
        for (long first = 0; first < total; first += step)
        {
            using var piece = flat.narrow(0, first, Math.Min(step, total - first));
            ReadPiece(stream, piece, ended, inspect);
        }
    }

    private static void ReadPiece(Stream stream, Tensor piece, Func<EndOfStreamException, Exception> ended, PieceInspector? inspect)
    {
        var bytes = piece.bytes;
        try
        {
            stream.ReadExactly(bytes);
        }
        catch (EndOfStreamException e)
        {
            throw ended(e);
        }
        inspect?.Invoke(bytes);
    }

    /// <summary>torch assumes a bool byte is 0 or 1; any other value would make comparisons and sums lie.</summary>
    public static bool IsBoolean(ReadOnlySpan<byte> bytes) => bytes.IndexOfAnyExcept((byte)0, (byte)1) < 0;
}
