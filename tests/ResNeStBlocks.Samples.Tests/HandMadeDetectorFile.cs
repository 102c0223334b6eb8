using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace ResNeStBlocks.Samples.Tests;

/// <summary>
/// Writes an ONNX file with a detector's contract and fixed answers: input <c>input</c> [1, 3, H, W], outputs
/// <c>boxes</c>, <c>scores</c>, <c>labels</c> and optionally <c>masks</c>, each a constant through an Identity node.
/// It stands for the exports that do not exist yet (Mask R-CNN) and for a file without class names, in a few bytes,
/// written with the protobuf wire format by hand (the package's generated ONNX classes are internal).
/// </summary>
internal static class HandMadeDetectorFile
{
    private const int Float = 1, Int64 = 7;

    /// <summary>Writes the file.</summary>
    /// <param name="path">Where.</param>
    /// <param name="height">The input's height (the masks' too).</param>
    /// <param name="width">The input's width.</param>
    /// <param name="boxes">N x 4 box coordinates.</param>
    /// <param name="scores">N scores.</param>
    /// <param name="labels">N labels.</param>
    /// <param name="masks">N x H x W mask probabilities, or null for a file without masks.</param>
    public static void Write(string path, int height, int width, float[] boxes, float[] scores, long[] labels, float[]? masks)
    {
        long n = labels.Length;
        var constants = new List<(string Name, byte[] Tensor, int Type)>
        {
            ("boxes", Tensor("boxes_value", Float, new[] { n, 4 }, boxes.SelectMany(BitConverter.GetBytes)), Float),
            ("scores", Tensor("scores_value", Float, new[] { n }, scores.SelectMany(BitConverter.GetBytes)), Float),
            ("labels", Tensor("labels_value", Int64, new[] { n }, labels.SelectMany(BitConverter.GetBytes)), Int64),
        };
        if (masks is not null)
            constants.Add(("masks", Tensor("masks_value", Float, new[] { n, 1, height, width }, masks.SelectMany(BitConverter.GetBytes)), Float));
        var graph = new List<byte[]>();
        foreach (var (name, _, _) in constants)
            graph.Add(Bytes(1, Message(Bytes(1, Text(name + "_value")), Bytes(2, Text(name)), Bytes(3, Text(name + "_node")), Bytes(4, Text("Identity")))));
        graph.Add(Bytes(2, Text("hand_made_detector")));
        foreach (var (_, tensor, _) in constants)
            graph.Add(Bytes(5, tensor));
        graph.Add(Bytes(11, ValueInfo("input", Float, new long[] { 1, 3, height, width })));
        foreach (var (name, _, type) in constants)
            graph.Add(Bytes(12, ValueInfo(name, type, null)));
        var model = Message(
            Varint(1, 8),                                             // ir_version
            Bytes(2, Text("hand-made")),                              // producer_name
            Bytes(7, Message(graph.ToArray())),                       // graph
            Bytes(8, Message(Bytes(1, Text("")), Varint(2, 17))));    // opset_import: the default domain, opset 17
        File.WriteAllBytes(path, model);
    }

    /// <summary>TensorProto: dims (1), data_type (2), name (8), raw_data (9, little-endian).</summary>
    private static byte[] Tensor(string name, int type, long[] dims, IEnumerable<byte> data) =>
        Message(dims.Select(d => Varint(1, (ulong)d)).Append(Varint(2, (ulong)type)).Append(Bytes(8, Text(name)))
            .Append(Bytes(9, data.ToArray())).ToArray());

    /// <summary>ValueInfoProto: name (1), type (2) = TypeProto.tensor_type (1) with elem_type (1) and, when given, shape (2) of dim_value (1).</summary>
    private static byte[] ValueInfo(string name, int type, long[]? dims)
    {
        var tensor = new List<byte[]> { Varint(1, (ulong)type) };
        if (dims is not null)
            tensor.Add(Bytes(2, Message(dims.Select(d => Bytes(1, Varint(1, (ulong)d))).ToArray())));
        return Message(Bytes(1, Text(name)), Bytes(2, Bytes(1, Message(tensor.ToArray()))));
    }

    private static byte[] Text(string value) => Encoding.UTF8.GetBytes(value);

    private static byte[] Message(params byte[][] fields) => fields.SelectMany(f => f).ToArray();

    /// <summary>A varint field (wire type 0).</summary>
    private static byte[] Varint(int field, ulong value) => Message(Raw((ulong)(field << 3)), Raw(value));

    /// <summary>A length-delimited field (wire type 2).</summary>
    private static byte[] Bytes(int field, byte[] value) => Message(Raw((ulong)(field << 3 | 2)), Raw((ulong)value.Length), value);

    private static byte[] Raw(ulong value)
    {
        var bytes = new List<byte>();
        do
        {
            byte b = (byte)(value & 0x7F);
            value >>= 7;
            bytes.Add(value != 0 ? (byte)(b | 0x80) : b);
        }
        while (value != 0);
        return bytes.ToArray();
    }
}
