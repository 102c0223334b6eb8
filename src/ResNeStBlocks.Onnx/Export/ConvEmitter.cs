using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Onnx.Graph;
using TorchSharp;
using TorchSharp.Modules;

namespace ResNeStBlocks.Onnx.Export;

/// <summary>
/// A convolution and the BatchNorm after it. With folding (the default) the BatchNorm's eval transform is computed
/// into the exported weight and bias by the library's own folding, on copies, in float64 and rounded once; the user's
/// modules are only read. Without folding the BatchNorm is a BatchNormalization node.
/// </summary>
internal sealed class ConvEmitter
{
    private readonly OnnxGraphBuilder graph;
    private readonly bool foldBatchNorm;

    public ConvEmitter(OnnxGraphBuilder graph, bool foldBatchNorm)
    {
        this.graph = graph;
        this.foldBatchNorm = foldBatchNorm;
    }

    /// <summary>The Conv node (and, unfolded, the BatchNormalization node) of <paramref name="conv"/> and its optional <paramref name="norm"/>.</summary>
    public string Convolution(Conv2d conv, string convPath, BatchNorm2d? norm, string? normPath, string input)
    {
        CheckSupported(conv, convPath);
        long[] dims = conv.weight.shape;
        bool fold = norm is not null && foldBatchNorm;
        var (weight, bias) = fold ? Folded(conv, norm!, normPath!)
            : (TensorValues.Read(conv.weight), conv.bias is null ? null : TensorValues.Read(conv.bias));

        var inputs = new List<string> { input, graph.Weight(convPath + ".weight", TensorValues.ToFloat(weight), dims) };
        if (bias is not null)
            inputs.Add(graph.Weight(convPath + ".bias", TensorValues.ToFloat(bias), new[] { (long)bias.Length }));
        var pads = Padding(conv);
        string output = graph.Node("Conv", convPath, inputs,
            Attr.Ints("kernel_shape", conv.kernel_size),
            Attr.Ints("strides", conv.stride),
            Attr.Ints("pads", new[] { pads[0], pads[1], pads[0], pads[1] }),
            Attr.Ints("dilations", conv.dilation),
            Attr.Int("group", conv.groups));
        return norm is not null && !fold ? BatchNormalization(norm, normPath!, output) : output;
    }

    /// <summary>An eval-mode BatchNorm2d as one BatchNormalization node.</summary>
    public string BatchNormalization(BatchNorm2d norm, string path, string input)
    {
        var (gamma, beta, mean, variance) = Statistics(norm, path);
        long[] dims = { gamma.Length };
        return graph.Node("BatchNormalization", path, new[]
            {
                input,
                graph.Weight(path + ".weight", TensorValues.ToFloat(gamma), dims),
                graph.Weight(path + ".bias", TensorValues.ToFloat(beta), dims),
                graph.Weight(path + ".running_mean", TensorValues.ToFloat(mean), dims),
                graph.Weight(path + ".running_var", TensorValues.ToFloat(variance), dims),
            },
            Attr.Float("epsilon", (float)norm.eps));
    }

    private static (double[] Weight, double[]? Bias) Folded(Conv2d conv, BatchNorm2d norm, string normPath)
    {
        if (norm.running_mean is null || norm.running_var is null)
            throw OnnxExportErrors.Setting(normPath, "a BatchNorm without running statistics (track_running_stats = false) has no eval transform");
        var (weight, bias) = CoreAdapter.FoldedParameters(conv, norm);
        using (weight)
        using (bias)
            return (TensorValues.Read(weight), TensorValues.Read(bias));
    }

    private static (double[] Gamma, double[] Beta, double[] Mean, double[] Variance) Statistics(BatchNorm2d norm, string path)
    {
        if (norm.running_mean is null || norm.running_var is null)
            throw OnnxExportErrors.Setting(path, "a BatchNorm without running statistics (track_running_stats = false) has no eval transform");
        var mean = TensorValues.Read(norm.running_mean);
        var variance = TensorValues.Read(norm.running_var);
        var gamma = norm.weight is null ? Enumerable.Repeat(1.0, mean.Length).ToArray() : TensorValues.Read(norm.weight);
        var beta = norm.bias is null ? new double[mean.Length] : TensorValues.Read(norm.bias);
        return (gamma, beta, mean, variance);
    }

    private static long[] Padding(Conv2d conv)
    {
        if (conv.padding is { } explicitPadding)
            return explicitPadding;
        // padding_type Valid; Same is rejected by CheckSupported unless it is symmetric.
        if (conv.padding_type == TorchSharp.Padding.Same)
            return conv.kernel_size.Zip(conv.dilation, (k, d) => d * (k - 1) / 2).ToArray();
        return new long[] { 0, 0 };
    }

    private static void CheckSupported(Conv2d conv, string path)
    {
        if (conv.padding_mode != PaddingModes.Zeros)
            throw OnnxExportErrors.Setting(path, $"padding mode {conv.padding_mode} (only zero padding is exported)");
        if (conv.padding is null && conv.padding_type == TorchSharp.Padding.Same
            && conv.kernel_size.Zip(conv.dilation, (k, d) => d * (k - 1) % 2).Any(r => r != 0))
            throw OnnxExportErrors.Setting(path, "padding 'same' with an even receptive field (asymmetric padding)");
    }
}
