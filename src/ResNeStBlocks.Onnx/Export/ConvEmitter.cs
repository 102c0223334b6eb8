using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Onnx.Graph;
using TorchSharp;
using TorchSharp.Modules;

namespace ResNeStBlocks.Onnx.Export;

/// <summary>
/// A convolution, the BatchNorm after it and an optional ReLU. With folding (the default) the BatchNorm's eval
/// transform is computed into the exported weight and bias, <c>w * s</c> and <c>beta + (b - mean) * s</c> with
/// <c>s = gamma / sqrt(var + eps)</c>, in float64 and rounded once; the user's modules are only read.
/// </summary>
internal static class ConvEmitter
{
    public static string Emit(ExportContext context, Conv2d conv, string convPath, BatchNorm2d? norm, string? normPath, string input, bool relu = false)
    {
        CheckSupported(conv, convPath);
        long[] dims = conv.weight.shape;
        var graph = context.Graph;

        bool fold = norm is not null && context.FoldBatchNorm;
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

        if (norm is not null && !fold)
            output = BatchNormalization(context, norm, normPath!, output);
        return relu ? graph.Node("Relu", convPath, new[] { output }) : output;
    }

    /// <summary>A convolution child and its BatchNorm child (absent once the model's norms were folded in place).</summary>
    public static string ChildPair(ExportContext context, ChildModules children, string convName, string normName, string input, bool relu) =>
        Emit(context, children.Required<Conv2d>(convName), children.PathOf(convName),
            children.Optional<BatchNorm2d>(normName), children.PathOf(normName), input, relu);

    /// <summary>A <see cref="ResNeStBlocks.Layers.ConvNormAct"/> unit: its <c>conv</c>, <c>bn</c> and, when it applies one, ReLU.</summary>
    public static string ConvNormAct(ExportContext context, ResNeStBlocks.Layers.ConvNormAct unit, string path, string input)
    {
        var children = new ChildModules(unit, path);
        string output = ChildPair(context, children, "conv", "bn", input, CoreAdapter.AppliesActivation(unit));
        children.EnsureAllTaken();
        return output;
    }

    /// <summary>An eval-mode BatchNorm2d as one BatchNormalization node.</summary>
    public static string BatchNormalization(ExportContext context, BatchNorm2d norm, string path, string input)
    {
        var (gamma, beta, mean, variance) = Statistics(norm, path);
        var graph = context.Graph;
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

    /// <summary>The convolution with its BatchNorm folded in, computed by the library's own folding on copies.</summary>
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
