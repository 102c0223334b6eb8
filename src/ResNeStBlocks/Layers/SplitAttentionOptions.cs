namespace ResNeStBlocks.Layers;

/// <summary>Settings of a <see cref="SplitAttention"/> convolution (timm <c>SplitAttn</c> arguments).</summary>
/// <param name="KernelSize">Kernel size of the grouped convolution.</param>
/// <param name="Stride">Stride of the grouped convolution.</param>
/// <param name="Padding">Zero padding; <c>null</c> means <c>KernelSize / 2</c>.</param>
/// <param name="Dilation">Dilation of the grouped convolution.</param>
/// <param name="Groups">Cardinality: groups of the attention's 1x1 convolutions.</param>
/// <param name="Radix">Splits per cardinal group; 1 gives a sigmoid (SE-like) gate.</param>
/// <param name="ReductionRatio">Attention width as a fraction of <c>inChannels * radix</c> (timm <c>rd_ratio</c>).</param>
/// <param name="ReductionDivisor">Attention width is rounded to a multiple of this (timm <c>rd_divisor</c>).</param>
/// <param name="ReducedChannels">Explicit attention width per split (timm <c>rd_channels</c>; the layer uses it times radix).</param>
/// <param name="MinAttentionChannels">The attention width never drops below this (32 in ResNeSt).</param>
/// <param name="UseNorm">BatchNorm after the grouped convolution and inside the attention (timm passes BatchNorm2d in ResNeSt).</param>
public sealed record SplitAttentionOptions(
    int KernelSize = 3,
    int Stride = 1,
    int? Padding = null,
    int Dilation = 1,
    int Groups = 1,
    int Radix = 2,
    double ReductionRatio = 0.25,
    int ReductionDivisor = 8,
    int? ReducedChannels = null,
    int MinAttentionChannels = 32,
    bool UseNorm = true)
{
    /// <summary>timm's defaults: 3x3, radix 2, ratio 1/4, divisor 8, at least 32 attention channels, BatchNorm.</summary>
    public static SplitAttentionOptions Default { get; } = new();

    /// <summary>Checks every setting for these channels without allocating; returns the attention's width.</summary>
    internal int AttentionChannels(int inChannels, int outChannels)
    {
        Guard.Positive((inChannels, nameof(inChannels)), (outChannels, nameof(outChannels)), (KernelSize, nameof(KernelSize)),
            (Stride, nameof(Stride)), (Dilation, nameof(Dilation)), (Groups, nameof(Groups)), (Radix, nameof(Radix)),
            (ReductionDivisor, nameof(ReductionDivisor)));
        Guard.NonNegative(MinAttentionChannels, nameof(MinAttentionChannels));
        if (Padding is { } padding)
            Guard.NonNegative(padding, nameof(Padding));
        Guard.Reduction(ReductionRatio, ReducedChannels, nameof(ReductionRatio), nameof(ReducedChannels));
        Guard.Divisible(inChannels, nameof(inChannels), Groups * Radix, "groups x radix");
        Guard.Divisible(outChannels, nameof(outChannels), Groups, "groups");
        int attentionChannels = ReducedChannels is { } perSplit
            ? perSplit * Radix
            : ChannelMath.MakeDivisible(inChannels * Radix * ReductionRatio, ReductionDivisor, minValue: MinAttentionChannels);
        Guard.Divisible(attentionChannels, nameof(ReductionRatio), Groups, "groups", "the attention width");
        return attentionChannels;
    }
}
