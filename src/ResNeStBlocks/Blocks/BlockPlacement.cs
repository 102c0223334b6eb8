using System;
using ResNeStBlocks.Layers;
using static TorchSharp.torch;

namespace ResNeStBlocks.Blocks;

/// <summary>
/// What a backbone chooses for one block at its position in a stage: the stride, the shortcut projection,
/// the dilation and the regularisation (timm passes these to every block type alike). The block's own
/// settings are its <see cref="BlockSpec"/>.
/// </summary>
/// <param name="Stride">The block's spatial stride.</param>
/// <param name="Downsample">Shortcut projection; required when the stride or the channels change, otherwise <c>null</c> (identity).
/// The block owns it once built.</param>
/// <param name="Dilation">Dilation of the block's later 3x3 convolutions.</param>
/// <param name="FirstDilation">Dilation of the first 3x3 convolution (defaults to <paramref name="Dilation"/>); differs at the first block of a newly dilated stage.</param>
/// <param name="DropPathRate">Stochastic-depth probability for the residual branch.</param>
/// <param name="DropBlock">Creates a DropBlock layer placed after the 3x3 convolution's norm, or <c>null</c>.</param>
public sealed record BlockPlacement(
    int Stride = 1,
    nn.Module<Tensor, Tensor>? Downsample = null,
    int Dilation = 1,
    int? FirstDilation = null,
    double DropPathRate = 0,
    Func<DropBlock>? DropBlock = null)
{
    /// <summary>Stride 1, no shortcut projection, no dilation, no regularisation.</summary>
    public static BlockPlacement Default { get; } = new();

    internal int EffectiveFirstDilation => FirstDilation ?? Dilation;

    internal void Validate()
    {
        Guard.Positive(Stride, nameof(Stride));
        Guard.Positive(Dilation, nameof(Dilation));
        Guard.Positive(EffectiveFirstDilation, nameof(FirstDilation));
        Guard.Probability(DropPathRate, nameof(DropPathRate));
    }
}
