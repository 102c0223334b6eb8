using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Onnx.Proto;

namespace ResNeStBlocks.Onnx.Graph;

/// <summary>
/// Accumulates the nodes and initializers of one ONNX graph. Value names derive from the module path that
/// produced them (<c>layer2.0.conv2.fc1</c>), made unique with a counter, so a reader of the graph can find
/// the layer each node came from.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private readonly HashSet<string> names = new(System.StringComparer.Ordinal);
    private readonly Dictionary<string, string> constants = new(System.StringComparer.Ordinal);
    private readonly Dictionary<string, (float[] Values, string Id)> weights = new(System.StringComparer.Ordinal);
    private readonly OnnxWeightType weightType;

    public OnnxGraphBuilder(OnnxWeightType weightType) => this.weightType = weightType;

    public GraphProto Graph { get; } = new() { Name = "ResNeStBlocks" };

    /// <summary>Appends a node with one output and returns the output's name.</summary>
    public string Node(string opType, string path, IEnumerable<string> inputs, params AttributeProto[] attributes) =>
        NodeOutputs(opType, path, inputs, 1, attributes)[0];

    /// <summary>Appends a node with <paramref name="outputs"/> outputs (for Split) and returns their names.</summary>
    public string[] NodeOutputs(string opType, string path, IEnumerable<string> inputs, int outputs, params AttributeProto[] attributes)
    {
        string nodeName = Unique(Prefix(path) + opType);
        var node = new NodeProto { OpType = opType, Name = nodeName };
        node.Input.AddRange(inputs);
        var outputNames = outputs == 1
            ? new[] { nodeName }
            : Enumerable.Range(0, outputs).Select(i => Unique($"{nodeName}:{i}")).ToArray();
        node.Output.AddRange(outputNames);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return outputNames;
    }

    /// <summary>
    /// Adds a float initializer named after its parameter (<c>layer1.0.conv1.weight</c>) and returns the name of
    /// a float32 value holding it: the initializer itself, or, for float16 storage, a Cast of it to float32
    /// (which ONNX Runtime folds once at load time).
    /// </summary>
    /// <remarks>A parameter read again with the same shape and values (a head's layers run on every pyramid level) is
    /// stored once.</remarks>
    public string Weight(string name, float[] values, long[] dims)
    {
        string key = name + "[" + string.Join(",", dims) + "]";
        if (weights.TryGetValue(key, out var stored) && stored.Values.AsSpan().SequenceEqual(values))
            return stored.Id;
        string id = NewWeight(name, values, dims);
        weights[key] = (values, id);
        return id;
    }

    private string NewWeight(string name, float[] values, long[] dims)
    {
        string unique = Unique(name);
        if (weightType == OnnxWeightType.Float32)
        {
            Graph.Initializer.Add(TensorEncoding.Float32(unique, values, dims));
            return unique;
        }
        Graph.Initializer.Add(TensorEncoding.Float16(unique, values, dims));
        return Node("Cast", unique, new[] { unique }, Attr.Int("to", (long)TensorProto.Types.DataType.Float));
    }

    /// <summary>An int64 vector initializer (shapes, axes), shared by every node that uses the same values.</summary>
    public string Int64s(params long[] values)
    {
        string key = string.Join(",", values);
        if (constants.TryGetValue(key, out var existing))
            return existing;
        string name = Unique("const_" + string.Join("_", values.Select(v => v < 0 ? "m" + (-v) : v.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        Graph.Initializer.Add(TensorEncoding.Int64(name, values));
        constants[key] = name;
        return name;
    }

    /// <summary>An int64 scalar (0-d) initializer (a Range bound, a class number), shared like <see cref="Int64s"/>.</summary>
    public string Int64Scalar(long value)
    {
        string key = "i[]:" + value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (constants.TryGetValue(key, out var existing))
            return existing;
        string name = Unique("consti_" + (value < 0 ? "m" + (-value) : value.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Graph.Initializer.Add(TensorEncoding.Int64(name, new[] { value }, System.Array.Empty<long>()));
        constants[key] = name;
        return name;
    }

    /// <summary>A float32 vector initializer (resize scales), shared by every node that uses the same values.</summary>
    public string Float32s(params float[] values) => Constant("constf_", values, new long[] { values.Length });

    /// <summary>A float32 scalar initializer (an operand of elementwise arithmetic), shared like <see cref="Float32s"/>.</summary>
    public string Float32Scalar(float value) => Constant("constf_", new[] { value }, System.Array.Empty<long>());

    /// <summary>A float32 tensor initializer of shape <paramref name="dims"/> (a description's constant), shared like <see cref="Float32s"/>.</summary>
    public string Float32Tensor(float[] values, long[] dims) => Constant("constf_", values, dims);

    private string Constant(string prefix, float[] values, long[] dims)
    {
        string key = "f[" + string.Join("x", dims) + "]:" + string.Join(",", values.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
        if (constants.TryGetValue(key, out var existing))
            return existing;
        string name = Unique(values.Length > 8 ? prefix + "tensor" : prefix + string.Join("_", values.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture).Replace('.', 'p').Replace('-', 'm'))));
        Graph.Initializer.Add(TensorEncoding.Float32(name, values, dims));
        constants[key] = name;
        return name;
    }

    /// <summary>Reserves a graph input or output name so that no node takes it.</summary>
    public void Reserve(string name) => names.Add(name);

    /// <summary>Publishes <paramref name="value"/> under a graph output name (an Identity node that ONNX Runtime removes).</summary>
    public void Output(string value, string outputName)
    {
        var node = new NodeProto { OpType = "Identity", Name = Unique(outputName + "/Identity") };
        node.Input.Add(value);
        node.Output.Add(outputName);
        Graph.Node.Add(node);
    }

    private static string Prefix(string path) => path.Length == 0 ? "" : path + "/";

    private string Unique(string name)
    {
        if (names.Add(name))
            return name;
        for (int i = 1; ; i++)
        {
            string candidate = $"{name}_{i}";
            if (names.Add(candidate))
                return candidate;
        }
    }
}
