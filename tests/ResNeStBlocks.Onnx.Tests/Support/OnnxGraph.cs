using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Onnx.Proto;

namespace ResNeStBlocks.Onnx.Tests.Support;

/// <summary>Reads an exported file back with the exporter's own message types.</summary>
public static class OnnxGraph
{
    internal static ModelProto Parse(byte[] model) => ModelProto.Parser.ParseFrom(model);

    public static IReadOnlyList<string> OpTypes(byte[] model) => Parse(model).Graph.Node.Select(n => n.OpType).Distinct().ToList();
}
