using System.Collections.Generic;
using System.Linq;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Summary;

/// <summary>Multiply-accumulate counts of one module call, by module type (see <see cref="ModelSummarizer"/>).</summary>
internal static class MacCounter
{
    /// <summary>MACs of one call of <paramref name="module"/> for the whole batch.</summary>
    public static long Count(nn.Module module, IReadOnlyList<long> inputShape, IReadOnlyList<long> outputShape)
    {
        switch (module)
        {
            case ConvolutionTranspose transposed when transposed.weight is { } w:
                // Every input element is scattered through a kernel of out_channels/groups x k... weights.
                return Elements(inputShape) * KernelVolume(w.shape);
            case Convolution conv when conv.weight is { } w:
                // Every output element gathers in_channels/groups x k... inputs.
                return Elements(outputShape) * KernelVolume(w.shape);
            case Linear linear:
                return Elements(outputShape) * linear.in_features;
            default:
                return 0;
        }
    }

    /// <summary>weight.shape[1] * kernel volume: MACs per output element (convolution) or per input element (transposed).</summary>
    private static long KernelVolume(long[] weightShape) => weightShape.Skip(1).Aggregate(1L, (a, b) => a * b);

    private static long Elements(IReadOnlyList<long> shape) => shape.Aggregate(1L, (a, b) => a * b);
}
