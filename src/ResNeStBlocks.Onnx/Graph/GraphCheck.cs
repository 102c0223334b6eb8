using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Onnx.Proto;

namespace ResNeStBlocks.Onnx.Graph;

/// <summary>The last check of a graph before it is written: every value a node or an output reads is defined before it.</summary>
internal static class GraphCheck
{
    /// <exception cref="InvalidOperationException">A node reads a value that no graph input, initializer or earlier node defines.</exception>
    public static void Validate(GraphProto graph)
    {
        var defined = new HashSet<string>(graph.Input.Select(input => input.Name).Concat(graph.Initializer.Select(initializer => initializer.Name)), StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            foreach (var input in node.Input)
                if (input.Length > 0 && !defined.Contains(input))
                    throw new InvalidOperationException(
                        $"The ONNX graph is invalid: node '{node.Name}' ({node.OpType}) reads '{input}', which no input, initializer or earlier node defines. " +
                        "This is a bug of the exporter; nothing was written.");
            defined.UnionWith(node.Output);
        }
        foreach (var output in graph.Output)
            if (!defined.Contains(output.Name))
                throw new InvalidOperationException($"The ONNX graph is invalid: output '{output.Name}' is never computed. This is a bug of the exporter; nothing was written.");
    }
}
