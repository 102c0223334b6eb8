using ResNeStBlocks.Layers;
using static TorchSharp.torch;

namespace ResNeStBlocks.Blocks;

/// <summary>
/// Creates the channel-attention module a block applies to its output (timm <c>attn_layer</c>), given the
/// block's output channels; <c>null</c> means no attention.
/// </summary>
/// <param name="channels">The block's output channels.</param>
/// <returns>A module that maps [N, channels, H, W] to the same shape.</returns>
public delegate nn.Module<Tensor, Tensor> AttentionFactory(int channels);

/// <summary>Ready-made attention factories.</summary>
public static class Attention
{
    /// <summary>Squeeze-and-Excitation with timm's defaults for <c>attn_layer='se'</c> (ratio 1/16, divisor 8).</summary>
    public static AttentionFactory SqueezeExcite { get; } = channels => new SqueezeExcite(channels);

    /// <summary>Squeeze-and-Excitation with a chosen reduction ratio and divisor.</summary>
    /// <param name="reductionRatio">Reduced channels as a fraction of the block's output channels.</param>
    /// <param name="reductionDivisor">Reduced channels are rounded to a multiple of this.</param>
    /// <returns>The factory.</returns>
    public static AttentionFactory SqueezeExciteWith(double reductionRatio, int reductionDivisor) =>
        channels => new SqueezeExcite(channels, reductionRatio, reductionDivisor);
}
