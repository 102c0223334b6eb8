using System.Linq;
using ResNeStBlocks.Layers;
using ResNeStBlocks.Onnx.Graph;
using TorchSharp.Modules;

namespace ResNeStBlocks.Onnx.Export;

/// <summary>
/// The attention layers: Squeeze-and-Excitation, Split-Attention (radix-major) and Selective Kernel. Splits become ONNX Split outputs and the
/// weighted sums Mul + Sum nodes, so no node needs the spatial size and height/width may stay dynamic.
/// </summary>
internal static class AttentionEmitter
{
    public static string SqueezeExcite(ExportContext context, SqueezeExcite se, string path, string input)
    {
        var children = new ChildModules(se, path);
        var graph = context.Graph;
        string pooled = PoolEmitter.GlobalAverage(context, path, input);
        string hidden = ConvEmitter.Emit(context, children.Required<Conv2d>("fc1"), children.PathOf("fc1"), null, null, pooled, relu: true);
        string logits = ConvEmitter.Emit(context, children.Required<Conv2d>("fc2"), children.PathOf("fc2"), null, null, hidden);
        children.EnsureAllTaken();
        string gate = graph.Node("Sigmoid", path, new[] { logits });
        return graph.Node("Mul", path, new[] { input, gate });
    }

    /// <summary>
    /// Split-Attention: the grouped convolution yields radix-major splits [N, radix * C, H, W]; the attention sees the
    /// sum of the pooled splits; fc2's logits are cardinal-group-major [N, groups, radix, C / groups], so the softmax
    /// runs over axis 2 and a transpose brings the weights to radix-major before they scale the splits.
    /// Radix 1 is a sigmoid gate.
    /// </summary>
    public static string SplitAttention(ExportContext context, SplitAttention layer, string path, string input)
    {
        var children = new ChildModules(layer, path);
        var graph = context.Graph;
        int radix = layer.Radix, groups = layer.Cardinality, channels = layer.OutChannels;
        string x = ConvEmitter.ChildPair(context, children, "conv", "bn0", input, relu: true);
        string pooled = PoolEmitter.GlobalAverage(context, path, x);                       // [N, radix * C, 1, 1]
        if (radix > 1)
        {
            string perSplit = graph.Node("Reshape", path, new[] { pooled, graph.Int64s(0, radix, channels) });
            string summed = graph.Node("ReduceSum", path, new[] { perSplit, graph.Int64s(1) }, Attr.Int("keepdims", 0));
            pooled = graph.Node("Reshape", path, new[] { summed, graph.Int64s(0, channels, 1, 1) });
        }
        string hidden = ConvEmitter.ChildPair(context, children, "fc1", "bn1", pooled, relu: true);
        string logits = ConvEmitter.Emit(context, children.Required<Conv2d>("fc2"), children.PathOf("fc2"), null, null, hidden);
        children.EnsureAllTaken();
        if (radix == 1)
            return graph.Node("Mul", path, new[] { x, graph.Node("Sigmoid", path, new[] { logits }) });

        string grouped = graph.Node("Reshape", path, new[] { logits, graph.Int64s(0, groups, radix, channels / groups) });
        string softmax = graph.Node("Softmax", path, new[] { grouped }, Attr.Int("axis", 2));
        string radixMajor = graph.Node("Transpose", path, new[] { softmax }, Attr.Ints("perm", 0, 2, 1, 3));
        string weights = graph.Node("Reshape", path, new[] { radixMajor, graph.Int64s(0, radix * channels, 1, 1) });
        return WeightedSum(context, path, graph.NodeOutputs("Split", path, new[] { x }, radix, Attr.Int("axis", 1)), weights);
    }

    /// <summary>
    /// Selective Kernel: each path (conv, BN, ReLU) sees the whole input or its own slice of channels; the attention
    /// reads the sum of the pooled paths and its softmax over paths weights them.
    /// </summary>
    public static string SelectiveKernel(ExportContext context, SelectiveKernel layer, string path, string input)
    {
        var children = new ChildModules(layer, path);
        var graph = context.Graph;
        var paths = children.Required<ModuleList<ConvNormAct>>("paths");
        int count = layer.NumPaths;
        // Each path's convolution takes inChannels / paths channels when the input is split between paths.
        bool splitInput = count > 1 && paths[0].InChannels * count == layer.InChannels;
        string[] inputs = splitInput
            ? graph.NodeOutputs("Split", path, new[] { input }, count, Attr.Int("axis", 1))
            : Enumerable.Repeat(input, count).ToArray();
        string pathsPath = children.PathOf("paths");
        var branches = paths.Select((unit, i) =>
            ConvEmitter.ConvNormAct(context, unit, ExportContext.Join(pathsPath, i.ToString(System.Globalization.CultureInfo.InvariantCulture)), inputs[i])).ToArray();
        string pooled = PoolEmitter.GlobalAverage(context, path, branches[0]);
        for (int i = 1; i < count; i++)
            pooled = graph.Node("Add", path, new[] { pooled, PoolEmitter.GlobalAverage(context, path, branches[i]) });

        var attention = children.Required<SelectiveKernelAttention>("attn");
        string attnPath = children.PathOf("attn");
        var attn = new ChildModules(attention, attnPath);
        string hidden = ConvEmitter.ChildPair(context, attn, "fc_reduce", "bn", pooled, relu: true);
        string logits = ConvEmitter.Emit(context, attn.Required<Conv2d>("fc_select"), attn.PathOf("fc_select"), null, null, hidden);
        attn.EnsureAllTaken();
        children.EnsureAllTaken();
        string perPath = graph.Node("Reshape", attnPath, new[] { logits, graph.Int64s(0, count, layer.OutChannels) });
        string softmax = graph.Node("Softmax", attnPath, new[] { perPath }, Attr.Int("axis", 1));
        string weights = graph.Node("Reshape", attnPath, new[] { softmax, graph.Int64s(0, count * layer.OutChannels, 1, 1) });
        return WeightedSum(context, path, branches, weights);
    }

    /// <summary><c>sum_i values[i] * w_i</c>, where the weights [N, k * C, 1, 1] split into k parts along channels.</summary>
    private static string WeightedSum(ExportContext context, string path, string[] values, string weights)
    {
        var graph = context.Graph;
        var parts = graph.NodeOutputs("Split", path, new[] { weights }, values.Length, Attr.Int("axis", 1));
        var products = values.Select((v, i) => graph.Node("Mul", path, new[] { v, parts[i] })).ToArray();
        return graph.Node("Sum", path, products);
    }
}
