using System.Linq;
using ResNeStBlocks.Onnx.Graph;
using TorchSharp.Modules;

namespace ResNeStBlocks.Onnx.Export;

/// <summary>Average and max pooling, with PyTorch's <c>ceil_mode</c> and <c>count_include_pad</c> carried over.</summary>
internal static class PoolEmitter
{
    public static string Average(ExportContext context, AvgPool2d pool, string path, string input)
    {
        if (pool.divisor_override is not null)
            throw OnnxExportErrors.Setting(path, "AvgPool2d with divisor_override");
        long[] kernel = pool.kernel_size;
        long[] stride = pool.stride ?? kernel;
        long[] padding = pool.padding ?? new long[] { 0, 0 };
        return context.Graph.Node("AveragePool", path, new[] { input },
            Attr.Ints("kernel_shape", kernel),
            Attr.Ints("strides", stride),
            Attr.Ints("pads", new[] { padding[0], padding[1], padding[0], padding[1] }),
            Attr.Int("ceil_mode", pool.ceil_mode ? 1 : 0),
            Attr.Int("count_include_pad", pool.count_include_pad ? 1 : 0));
    }

    public static string Max(ExportContext context, MaxPool2d pool, string path, string input)
    {
        long[] kernel = pool.kernel_size;
        long[] stride = pool.stride ?? kernel;
        long[] padding = pool.padding ?? new long[] { 0, 0 };
        long[] dilation = pool.dilation ?? new long[] { 1, 1 };
        return context.Graph.Node("MaxPool", path, new[] { input },
            Attr.Ints("kernel_shape", kernel),
            Attr.Ints("strides", stride),
            Attr.Ints("pads", new[] { padding[0], padding[1], padding[0], padding[1] }),
            Attr.Ints("dilations", dilation),
            Attr.Int("ceil_mode", pool.ceil_mode ? 1 : 0));
    }

    /// <summary>
    /// timm's <c>AvgPool2dSame</c> at stride 1 (the avg-down shortcut of a dilated stage): one zero column and row
    /// padded on the right and bottom, counted in the 2x2 average, so the size is kept.
    /// </summary>
    public static string SamePaddedAverage(ExportContext context, string path, string input) =>
        context.Graph.Node("AveragePool", path, new[] { input },
            Attr.Ints("kernel_shape", 2, 2),
            Attr.Ints("strides", 1, 1),
            Attr.Ints("pads", 0, 0, 1, 1),
            Attr.Int("count_include_pad", 1));

    /// <summary>Global average pooling to [N, C, 1, 1].</summary>
    public static string GlobalAverage(ExportContext context, string path, string input) =>
        context.Graph.Node("GlobalAveragePool", path, new[] { input });
}
