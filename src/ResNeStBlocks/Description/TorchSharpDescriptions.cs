using System;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;

namespace ResNeStBlocks.Description;

/// <summary>The descriptions of TorchSharp's own modules, registered once with <see cref="ModuleDescriptions"/>.</summary>
internal static class TorchSharpDescriptions
{
    public static void RegisterAll()
    {
        ModuleDescriptions.Register<Sequential>((graph, sequence, x) => SequenceDescription.Describe(graph, sequence, x));
        ModuleDescriptions.Register<Conv2d>((graph, conv, x) => graph.Convolution(conv, x));
        ModuleDescriptions.Register<ConvTranspose2d>((graph, conv, x) => graph.TransposedConvolution(conv, x));
        ModuleDescriptions.Register<BatchNorm2d>((graph, norm, x) => graph.BatchNorm(norm, x));
        ModuleDescriptions.Register<Linear>((graph, linear, x) => graph.Linear(linear, x));
        ModuleDescriptions.Register<ReLU>((graph, _, x) => graph.Relu(x));
        ModuleDescriptions.Register<ReLU6>((graph, _, x) => graph.Clip(x, 0, 6));
        ModuleDescriptions.Register<Sigmoid>((graph, _, x) => graph.Sigmoid(x));
        ModuleDescriptions.Register<SiLU>((graph, _, x) => graph.Silu(x));
        ModuleDescriptions.Register<GELU>((graph, gelu, x) => graph.Gelu(x, gelu.approximate == GELU.Approximate.tanh));
        ModuleDescriptions.Register<Hardswish>((graph, _, x) => graph.Hardswish(x));
        ModuleDescriptions.Register<Tanh>((graph, _, x) => graph.Tanh(x));
        ModuleDescriptions.Register<Softmax>((graph, softmax, x) => graph.Softmax(x, checked((int)softmax.dim)));
        ModuleDescriptions.Register<GroupNorm>((graph, norm, x) => graph.GroupNorm(norm, x));
        ModuleDescriptions.Register<LayerNorm>((graph, norm, x) => graph.LayerNorm(norm, x));
        ModuleDescriptions.Register<Flatten>((graph, flatten, x) => Flatten(graph, flatten, x));
        ModuleDescriptions.Register<AvgPool2d>((graph, pool, x) => AveragePool(graph, pool, x));
        ModuleDescriptions.Register<MaxPool2d>((graph, pool, x) => MaxPool(graph, pool, x));
        ModuleDescriptions.Register<AdaptiveAvgPool2d>((graph, pool, x) => AdaptiveAveragePool(graph, pool, x));
        ModuleDescriptions.Register<Upsample>((graph, upsample, x) => Upsample(graph, upsample, x));
        // The regularisers are the identity in eval mode.
        ModuleDescriptions.Register<Identity>(Pass);
        ModuleDescriptions.Register<Dropout>(Pass);
        ModuleDescriptions.Register<Dropout1d>(Pass);
        ModuleDescriptions.Register<Dropout2d>(Pass);
        ModuleDescriptions.Register<Dropout3d>(Pass);
        ModuleDescriptions.Register<AlphaDropout>(Pass);
        ModuleDescriptions.Register<FeatureAlphaDropout>(Pass);
    }

    private static GraphValue Pass(ForwardGraph graph, torch.nn.Module module, GraphValue input) => input;

    private static GraphValue Flatten(ForwardGraph graph, Flatten flatten, GraphValue x)
    {
        if (flatten.start_dim != 1 || flatten.end_dim != -1)
            throw new NotSupportedException(
                $"Flatten(start_dim: {flatten.start_dim}, end_dim: {flatten.end_dim}) has no description; only Flatten(1, -1), " +
                "which turns [N, ...] into [N, features], is described.");
        return graph.Flatten(x);
    }

    private static GraphValue AveragePool(ForwardGraph graph, AvgPool2d pool, GraphValue x)
    {
        if (pool.divisor_override is not null)
            throw new NotSupportedException("AvgPool2d with divisor_override has no description (ONNX's AveragePool divides by the window).");
        long[] kernel = pool.kernel_size;
        long[] padding = pool.padding ?? new long[] { 0, 0 };
        return graph.AveragePool(x, kernel, pool.stride ?? kernel, new[] { padding[0], padding[1], padding[0], padding[1] }, pool.ceil_mode, pool.count_include_pad);
    }

    private static GraphValue MaxPool(ForwardGraph graph, MaxPool2d pool, GraphValue x)
    {
        long[] kernel = pool.kernel_size;
        long[] padding = pool.padding ?? new long[] { 0, 0 };
        return graph.MaxPool(x, kernel, pool.stride ?? kernel, new[] { padding[0], padding[1], padding[0], padding[1] },
            pool.dilation ?? new long[] { 1, 1 }, pool.ceil_mode);
    }

    private static GraphValue AdaptiveAveragePool(ForwardGraph graph, AdaptiveAvgPool2d pool, GraphValue x)
    {
        long[] size = pool.output_size;
        long height = size[0], width = size.Length > 1 ? size[1] : size[0];
        return height == 1 && width == 1 ? graph.GlobalAveragePool(x) : graph.AdaptiveAveragePool(x, height, width);
    }

    private static GraphValue Upsample(ForwardGraph graph, Upsample upsample, GraphValue x)
    {
        var mode = upsample.mode switch
        {
            torch.UpsampleMode.Nearest => ResizeMode.Nearest,
            torch.UpsampleMode.Bilinear => ResizeMode.Bilinear,
            var other => throw new NotSupportedException($"Upsample mode {other} has no description; nearest and bilinear are described."),
        };
        bool alignCorners = upsample.align_corners ?? false;
        var size = upsample.size.ToArray();
        if (size.Length > 0)
            return graph.Resize(x, size[0], size.Length > 1 ? size[1] : size[0], mode, alignCorners);
        var scale = upsample.scale_factor.ToArray();
        if (scale.Length == 0)
            throw new NotSupportedException("Upsample without a size or a scale factor has no description.");
        return graph.ResizeByScale(x, scale[0], scale.Length > 1 ? scale[1] : scale[0], mode, alignCorners);
    }
}
