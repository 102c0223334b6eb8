using System;
using Google.Protobuf;
using ResNeStBlocks.Onnx.Proto;

namespace ResNeStBlocks.Onnx.Graph;

/// <summary>Writes initializer values as ONNX <c>raw_data</c> (fixed width, little endian, as the IR requires).</summary>
internal static class TensorEncoding
{
    public static TensorProto Float32(string name, float[] values, long[] dims)
    {
        var bytes = new byte[values.Length * sizeof(float)];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        EnsureLittleEndian(bytes, sizeof(float));
        return Tensor(name, TensorProto.Types.DataType.Float, dims, bytes);
    }

    public static TensorProto Float16(string name, float[] values, long[] dims)
    {
        var bytes = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++)
        {
            ushort bits = BitConverter.HalfToUInt16Bits((Half)values[i]);
            bytes[2 * i] = (byte)bits;
            bytes[2 * i + 1] = (byte)(bits >> 8);
        }
        return Tensor(name, TensorProto.Types.DataType.Float16, dims, bytes);
    }

    public static TensorProto Int64(string name, long[] values) => Int64(name, values, new long[] { values.Length });

    public static TensorProto Int64(string name, long[] values, long[] dims)
    {
        var bytes = new byte[values.Length * sizeof(long)];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        EnsureLittleEndian(bytes, sizeof(long));
        return Tensor(name, TensorProto.Types.DataType.Int64, dims, bytes);
    }

    private static TensorProto Tensor(string name, TensorProto.Types.DataType type, long[] dims, byte[] bytes)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.AddRange(dims);
        return tensor;
    }

    private static void EnsureLittleEndian(byte[] bytes, int width)
    {
        if (BitConverter.IsLittleEndian)
            return;
        for (int i = 0; i < bytes.Length; i += width)
            Array.Reverse(bytes, i, width);
    }
}
