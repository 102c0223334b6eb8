using ResNeStBlocks.Description;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>The layout every dense detection head's output takes before it meets the anchors.</summary>
internal static class HeadOutputs
{
    /// <summary>[N, A * C, H, W] to [N, H * W * A, C]: location, then anchor, as torchvision's <c>permute_and_flatten</c>.</summary>
    public static Tensor PermuteAndFlatten(Tensor map, long channels)
    {
        long n = map.size(0), h = map.size(2), w = map.size(3);
        return map.view(n, -1, channels, h, w).permute(0, 3, 4, 1, 2).reshape(n, -1, channels);
    }

    /// <summary>Describes <see cref="PermuteAndFlatten"/>: [N, A * C, H, W] to [N, H * W * A, C].</summary>
    public static GraphValue DescribePermuteAndFlatten(ForwardGraph graph, GraphValue map, long channels) =>
        graph.Reshape(graph.Transpose(graph.Unflatten(map, 1, -1, channels), 0, 3, 4, 1, 2), 0, -1, channels);
}
