using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using ResNeStBlocks.Weights;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Weights;

/// <summary>Builds safetensors bytes by hand, so that tests can break any rule on purpose.</summary>
internal static class Crafted
{
    /// <summary>The source name the loader puts in its messages for crafted streams.</summary>
    public const string Source = "crafted";

    /// <summary>8-byte little-endian length of <paramref name="json"/>, the JSON as UTF-8, then <paramref name="data"/>.</summary>
    public static byte[] File(string json, byte[] data) => File(Encoding.UTF8.GetBytes(json), data);

    /// <summary>8-byte little-endian length of <paramref name="header"/>, the header bytes, then <paramref name="data"/>.</summary>
    public static byte[] File(byte[] header, byte[] data, ulong? declaredLength = null)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), declaredLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    /// <summary>Loads crafted bytes, returning the tensors (which the caller disposes, or a dispose scope collects).</summary>
    public static Dictionary<string, Tensor> Load(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        return SafeTensors.Load(stream, Source);
    }

    /// <summary>An action that loads crafted bytes and disposes whatever was loaded.</summary>
    public static Action Loading(byte[] bytes) => () =>
    {
        foreach (var tensor in Load(bytes).Values)
            tensor.Dispose();
    };

    /// <summary><paramref name="count"/> bytes 0, 1, 2, ... (mod 251).</summary>
    public static byte[] Bytes(int count)
    {
        var data = new byte[count];
        for (int i = 0; i < count; i++)
            data[i] = (byte)(i % 251);
        return data;
    }
}
