using ResNeStBlocks.Layers;
using static TorchSharp.torch;

namespace ResNeStBlocks.Blocks;

/// <summary>
/// The parts of a residual block that a backbone decides rather than the block: shortcut, dilation and
/// regularisation (timm passes these to every block type alike).
/// </summary>
/// <param name="Downsample">Shortcut projection; required when stride or channels change, otherwise <c>null</c> (identity).</param>
/// <param name="Dilation">Dilation of the block's later 3x3 convolutions.</param>
/// <param name="FirstDilation">Dilation of the first 3x3 convolution (defaults to <paramref name="Dilation"/>); differs at the first block of a newly dilated stage.</param>
/// <param name="DropPathRate">Stochastic-depth probability for the residual branch.</param>
/// <param name="DropBlock">Creates a DropBlock layer placed after the 3x3 convolution's norm, or <c>null</c>.</param>
public sealed record BlockExtras(
    nn.Module<Tensor, Tensor>? Downsample = null,
    int Dilation = 1,
    int? FirstDilation = null,
    double DropPathRate = 0,
    System.Func<DropBlock>? DropBlock = null)
{
    /// <summary>No shortcut projection, no dilation, no regularisation.</summary>
    public static BlockExtras None { get; } = new();

    internal int EffectiveFirstDilation => FirstDilation ?? Dilation;

    internal DropPath? CreateDropPath() => DropPathRate > 0 ? new DropPath(DropPathRate) : null;

    internal void Validate()
    {
        Guard.Positive(Dilation, nameof(Dilation));
        Guard.Positive(EffectiveFirstDilation, nameof(FirstDilation));
        Guard.Probability(DropPathRate, nameof(DropPathRate));
    }
}
