using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;

namespace ResNeStBlocks.Description;

/// <summary>
/// The number of input channels a module expects, read from its description: the first convolution, BatchNorm or
/// linear layer that reads the input (or equal slices of it) states it.
/// </summary>
public static class InputChannels
{
    /// <summary>The channels <paramref name="module"/> expects, or null when no layer of its description reads the input directly.</summary>
    /// <param name="module">A described module.</param>
    /// <returns>The channel count, or null.</returns>
    /// <exception cref="System.NotSupportedException">The module, or a module inside it, has no description.</exception>
    public static int? Of(torch.nn.Module module)
    {
        System.ArgumentNullException.ThrowIfNull(module);
        var probe = new Probe();
        return probe.Run(module);
    }

    private sealed class Probe : StructureGraph
    {
        // Values that are the input or equal slices of it, with the number of slices.
        private readonly Dictionary<GraphValue, int> slices = new();
        private int? channels;

        public int? Run(torch.nn.Module module)
        {
            var input = Fresh();
            slices[input] = 1;
            Walk(module, input);
            return channels;
        }

        // Operations that keep the channels of their input pass on what is known about it.
        private protected override GraphValue OnUnary(UnaryOperation operation, GraphValue input) => Keep(input, base.OnUnary(operation, input));
        private protected override GraphValue OnClip(GraphValue input, float min, float max) => Keep(input, base.OnClip(input, min, max));
        private protected override GraphValue OnGelu(GraphValue input, bool tanhApproximation) => Keep(input, base.OnGelu(input, tanhApproximation));
        private protected override GraphValue OnGlobalAveragePool(GraphValue input) => Keep(input, base.OnGlobalAveragePool(input));
        private protected override GraphValue OnAveragePool(GraphValue input, long[] kernel, long[] stride, long[] padding, bool ceilMode, bool countIncludePad) =>
            Keep(input, base.OnAveragePool(input, kernel, stride, padding, ceilMode, countIncludePad));
        private protected override GraphValue OnMaxPool(GraphValue input, long[] kernel, long[] stride, long[] padding, long[] dilation, bool ceilMode) =>
            Keep(input, base.OnMaxPool(input, kernel, stride, padding, dilation, ceilMode));
        private protected override GraphValue OnAdaptiveAveragePool(GraphValue input, long height, long width) => Keep(input, base.OnAdaptiveAveragePool(input, height, width));
        private protected override GraphValue OnResize(GraphValue input, GraphValue sizeOf, ResizeMode mode, bool alignCorners) => Keep(input, base.OnResize(input, sizeOf, mode, alignCorners));
        private protected override GraphValue OnResize(GraphValue input, long height, long width, ResizeMode mode, bool alignCorners) => Keep(input, base.OnResize(input, height, width, mode, alignCorners));
        private protected override GraphValue OnResizeByScale(GraphValue input, double heightScale, double widthScale, ResizeMode mode, bool alignCorners) =>
            Keep(input, base.OnResizeByScale(input, heightScale, widthScale, mode, alignCorners));

        private GraphValue Keep(GraphValue input, GraphValue output)
        {
            if (slices.TryGetValue(input, out int count))
                slices[output] = count;
            return output;
        }

        private protected override IReadOnlyList<GraphValue> OnSplit(GraphValue input, int parts, int axis)
        {
            var values = base.OnSplit(input, parts, axis);
            if (axis == 1 && slices.TryGetValue(input, out int count))
                foreach (var value in values)
                    slices[value] = count * parts;
            return values;
        }

        protected override GraphValue OnConvolution(Conv2d convolution, string convolutionPath, GraphValue input, BatchNorm2d? norm, string? normPath, Activation activation)
        {
            Read(input, convolution.in_channels);
            return base.OnConvolution(convolution, convolutionPath, input, norm, normPath, activation);
        }

        private protected override GraphValue OnTransposedConvolution(ConvTranspose2d convolution, string path, GraphValue input)
        {
            Read(input, convolution.in_channels);
            return base.OnTransposedConvolution(convolution, path, input);
        }

        protected override GraphValue OnBatchNorm(BatchNorm2d norm, string path, GraphValue input)
        {
            Read(input, norm.num_features);
            return base.OnBatchNorm(norm, path, input);
        }

        private protected override GraphValue OnGroupNorm(GroupNorm norm, string path, GraphValue input)
        {
            if (norm.weight is { } weight)
                Read(input, weight.shape[0]);
            return base.OnGroupNorm(norm, path, input);
        }

        protected override GraphValue OnLinear(Linear linear, string path, GraphValue input)
        {
            Read(input, linear.in_features);
            return base.OnLinear(linear, path, input);
        }

        private void Read(GraphValue input, long layerChannels)
        {
            if (channels is null && slices.TryGetValue(input, out int count))
                channels = checked((int)(layerChannels * count));
        }
    }
}
