using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Text;

namespace ResNeStBlocks.Samples.Segment;

/// <summary>A mask: one class index per pixel, row by row.</summary>
/// <param name="Width">Columns.</param>
/// <param name="Height">Rows.</param>
/// <param name="Indices">Width * Height class indices (255 = ignore).</param>
public sealed record ClassMask(int Width, int Height, byte[] Indices);

/// <summary>
/// Reads and writes masks as PNG files whose pixel values are class indices: palette PNGs (colour type 3, as Pascal
/// VOC's masks, at 1, 2, 4 or 8 bits) give their palette indices, and greyscale PNGs (colour type 0, 1 to 8 bits) give
/// their grey values. General image decoders turn a palette PNG into colours, which loses the indices, so the file is
/// parsed here: chunks with their CRCs, the zlib stream, the five scanline filters, bit unpacking.
/// </summary>
public static class MaskPng
{
    private static readonly byte[] Signature = { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A };

    /// <summary>Reads a mask file.</summary>
    /// <param name="path">A palette or greyscale PNG.</param>
    /// <returns>The class index of every pixel.</returns>
    /// <exception cref="InvalidDataException">The file is not a PNG, is damaged, or holds colours rather than indices; the message names the file and the fix.</exception>
    public static ClassMask Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            return Decode(File.ReadAllBytes(path));
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"Cannot read mask {path}: {e.Message}", e);
        }
    }

    /// <summary>Decodes PNG bytes into class indices.</summary>
    /// <param name="png">The file's bytes.</param>
    /// <returns>The class index of every pixel.</returns>
    /// <exception cref="InvalidDataException">The bytes are not a PNG of indices.</exception>
    public static ClassMask Decode(ReadOnlySpan<byte> png)
    {
        if (png.Length < Signature.Length || !png[..Signature.Length].SequenceEqual(Signature))
            throw new InvalidDataException("not a PNG file (masks are PNGs whose pixels are class indices).");
        int offset = Signature.Length;
        int width = 0, height = 0, bitDepth = 0, colourType = -1;
        using var compressed = new MemoryStream();
        bool ended = false;
        while (!ended)
        {
            if (offset + 12 > png.Length)
                throw new InvalidDataException("the file ends before its IEND chunk (truncated).");
            int length = BinaryPrimitives.ReadInt32BigEndian(png[offset..]);
            if (length < 0 || offset + 12 + (long)length > png.Length)
                throw new InvalidDataException("a chunk runs past the end of the file (truncated).");
            var typeAndData = png.Slice(offset + 4, 4 + length);
            string type = Encoding.ASCII.GetString(typeAndData[..4]);
            var data = typeAndData[4..];
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png[(offset + 8 + length)..]);
            if (crc != Crc32.Compute(typeAndData))
                throw new InvalidDataException($"the CRC of chunk {type} is wrong (the file is damaged).");
            offset += 12 + length;
            switch (type)
            {
                case "IHDR":
                    if (length != 13)
                        throw new InvalidDataException("the IHDR chunk is not 13 bytes.");
                    width = BinaryPrimitives.ReadInt32BigEndian(data);
                    height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                    bitDepth = data[8];
                    colourType = data[9];
                    CheckHeader(width, height, bitDepth, colourType, data[10], data[11], data[12]);
                    break;
                case "IDAT":
                    if (colourType < 0)
                        throw new InvalidDataException("image data comes before the IHDR chunk.");
                    compressed.Write(data);
                    break;
                case "IEND":
                    ended = true;
                    break;
            }
        }
        if (colourType < 0 || compressed.Length == 0)
            throw new InvalidDataException("the file has no IHDR or no image data.");
        int stride = (width * bitDepth + 7) / 8;
        var raw = Inflate(compressed, (long)(stride + 1) * height);
        return new ClassMask(width, height, Unpack(raw, width, height, bitDepth, stride));
    }

    /// <summary>Writes a palette PNG (as Pascal VOC's masks): each pixel is the index of its palette colour.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="mask">The indices.</param>
    /// <param name="palette">RGB colours for indices 0..; 256 entries make every index displayable.</param>
    public static void WritePalette(string path, ClassMask mask, IReadOnlyList<(byte R, byte G, byte B)> palette)
    {
        ArgumentNullException.ThrowIfNull(mask);
        ArgumentNullException.ThrowIfNull(palette);
        if (palette.Count is < 1 or > 256)
            throw new ArgumentOutOfRangeException(nameof(palette), palette.Count, "A PNG palette has 1 to 256 colours.");
        var colours = new byte[3 * palette.Count];
        for (int i = 0; i < palette.Count; i++)
            (colours[3 * i], colours[3 * i + 1], colours[3 * i + 2]) = palette[i];
        Write(path, mask, colourType: 3, colours);
    }

    /// <summary>Writes an 8-bit greyscale PNG whose grey values are the indices.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="mask">The indices.</param>
    public static void WriteGrey(string path, ClassMask mask) => Write(path, mask, colourType: 0, palette: null);

    private static void Write(string path, ClassMask mask, byte colourType, byte[]? palette)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.Indices.Length != (long)mask.Width * mask.Height)
            throw new ArgumentException($"The mask holds {mask.Indices.Length} indices for {mask.Width}x{mask.Height} pixels.", nameof(mask));
        using var file = new MemoryStream();
        file.Write(Signature);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, mask.Width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), mask.Height);
        header[8] = 8;
        header[9] = colourType;
        WriteChunk(file, "IHDR", header);
        if (palette is not null)
            WriteChunk(file, "PLTE", palette);
        using (var pixels = new MemoryStream())
        {
            using (var zlib = new ZLibStream(pixels, CompressionLevel.Optimal, leaveOpen: true))
            {
                for (int y = 0; y < mask.Height; y++)
                {
                    zlib.WriteByte(0);   // filter type None
                    zlib.Write(mask.Indices, y * mask.Width, mask.Width);
                }
            }
            WriteChunk(file, "IDAT", pixels.ToArray());
        }
        WriteChunk(file, "IEND", Array.Empty<byte>());
        File.WriteAllBytes(path, file.ToArray());
    }

    private static void WriteChunk(Stream stream, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        stream.Write(word);
        var typeAndData = new byte[4 + data.Length];
        Encoding.ASCII.GetBytes(type, typeAndData);
        data.CopyTo(typeAndData, 4);
        stream.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.Compute(typeAndData));
        stream.Write(word);
    }

    private static void CheckHeader(int width, int height, int bitDepth, int colourType, byte compression, byte filter, byte interlace)
    {
        if (width < 1 || height < 1 || (long)width * height > 1L << 28)
            throw new InvalidDataException($"its size {width}x{height} is not that of a mask (1 to 2^28 pixels).");
        if (colourType is 2 or 4 or 6)
        {
            string kind = colourType switch { 2 => "an RGB", 4 => "a grey + alpha", _ => "an RGBA" };
            throw new InvalidDataException(
                $"it is {kind} PNG, whose pixels are colours; a mask must hold class indices: save it as a palette PNG (as Pascal VOC's masks) or an 8-bit greyscale PNG whose values are the classes (255 = ignore).");
        }
        if (colourType is not (0 or 3) || bitDepth is not (1 or 2 or 4 or 8 or 16) || (colourType == 3 && bitDepth == 16))
            throw new InvalidDataException($"its colour type {colourType} with bit depth {bitDepth} is not a valid PNG format.");
        if (bitDepth == 16)
            throw new InvalidDataException("it is a 16-bit greyscale PNG; masks hold at most 256 values: save it with 8 bits per pixel.");
        if (compression != 0 || filter != 0)
            throw new InvalidDataException("its compression or filter method is not PNG's (0).");
        if (interlace != 0)
            throw new InvalidDataException("it is interlaced (Adam7); save the mask without interlacing.");
    }

    private static byte[] Inflate(MemoryStream compressed, long expected)
    {
        compressed.Position = 0;
        var raw = new byte[expected];
        int read = 0;
        try
        {
            using var zlib = new ZLibStream(compressed, CompressionMode.Decompress);
            int n;
            while (read < raw.Length && (n = zlib.Read(raw, read, raw.Length - read)) > 0)
                read += n;
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"its image data does not decompress ({e.Message}).", e);
        }
        if (read != raw.Length)
            throw new InvalidDataException($"its image data holds {read} bytes where its size needs {raw.Length} (truncated).");
        return raw;
    }

    /// <summary>Undoes the scanline filters (one byte per pixel or less, so the filter's left neighbour is the previous byte) and unpacks the indices.</summary>
    private static byte[] Unpack(byte[] raw, int width, int height, int bitDepth, int stride)
    {
        var indices = new byte[(long)width * height];
        var previous = new byte[stride];
        var row = new byte[stride];
        for (int y = 0; y < height; y++)
        {
            int start = y * (stride + 1);
            byte filter = raw[start];
            Array.Copy(raw, start + 1, row, 0, stride);
            for (int x = 0; x < stride; x++)
            {
                int left = x > 0 ? row[x - 1] : 0, up = previous[x], upLeft = x > 0 ? previous[x - 1] : 0;
                row[x] = filter switch
                {
                    0 => row[x],
                    1 => (byte)(row[x] + left),
                    2 => (byte)(row[x] + up),
                    3 => (byte)(row[x] + (left + up) / 2),
                    4 => (byte)(row[x] + Paeth(left, up, upLeft)),
                    _ => throw new InvalidDataException($"row {y} has the unknown filter type {filter}."),
                };
            }
            int perByte = 8 / bitDepth, mask = (1 << bitDepth) - 1;
            for (int x = 0; x < width; x++)
            {
                int shift = 8 - bitDepth * (x % perByte + 1);
                indices[(long)y * width + x] = (byte)((row[x / perByte] >> shift) & mask);
            }
            (previous, row) = (row, previous);
        }
        return indices;
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    /// <summary>The CRC-32 of PNG chunks (ISO 3309, polynomial 0xEDB88320).</summary>
    private static class Crc32
    {
        private static readonly uint[] Table = CreateTable();

        public static uint Compute(ReadOnlySpan<byte> bytes)
        {
            uint crc = 0xFFFFFFFF;
            foreach (byte b in bytes)
                crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            return crc ^ 0xFFFFFFFF;
        }

        private static uint[] CreateTable()
        {
            var table = new uint[256];
            for (uint n = 0; n < 256; n++)
            {
                uint c = n;
                for (int k = 0; k < 8; k++)
                    c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
                table[n] = c;
            }
            return table;
        }
    }
}
