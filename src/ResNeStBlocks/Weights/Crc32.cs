using System;
using System.Buffers.Binary;

namespace ResNeStBlocks.Weights;

/// <summary>
/// CRC-32 as zip stores it (IEEE 802.3, reflected, polynomial 0xEDB88320), computed eight bytes at a time
/// ("slicing by 8") so that checking a checkpoint's bytes costs little next to reading them.
/// </summary>
internal struct Crc32
{
    private static readonly uint[] Table = BuildTable();
    private uint state;

    public Crc32() => state = 0xFFFFFFFFu;

    /// <summary>The checksum of everything appended so far.</summary>
    public readonly uint Value => ~state;

    public void Append(ReadOnlySpan<byte> data)
    {
        uint crc = state;
        var table = Table;
        while (data.Length >= 8)
        {
            uint low = BinaryPrimitives.ReadUInt32LittleEndian(data) ^ crc;
            uint high = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            crc = table[7 * 256 + (low & 0xFF)] ^ table[6 * 256 + ((low >> 8) & 0xFF)]
                ^ table[5 * 256 + ((low >> 16) & 0xFF)] ^ table[4 * 256 + (low >> 24)]
                ^ table[3 * 256 + (high & 0xFF)] ^ table[2 * 256 + ((high >> 8) & 0xFF)]
                ^ table[1 * 256 + ((high >> 16) & 0xFF)] ^ table[high >> 24];
            data = data[8..];
        }
        foreach (byte b in data)
            crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        state = crc;
    }

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = new Crc32();
        crc.Append(data);
        return crc.Value;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[8 * 256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++)
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        for (int slice = 1; slice < 8; slice++)
            for (int i = 0; i < 256; i++)
                table[slice * 256 + i] = (table[(slice - 1) * 256 + i] >> 8) ^ table[table[(slice - 1) * 256 + i] & 0xFF];
        return table;
    }
}
