using ResNeStBlocks.Layers;
using static TorchSharp.torch;

namespace ResNeStBlocks.Blocks;

/// <summary>The ResNeSt bottleneck (<see cref="ResNeStBottleneck"/>).</summary>
/// <param name="Radix">Splits per cardinal group in the Split-Attention convolution; 0 gives a plain grouped convolution.</param>
/// <param name="Cardinality">Cardinal groups.</param>
/// <param name="BaseWidth">Channels per group at 64 planes; width = <c>floor(planes * baseWidth / 64) * cardinality</c>.</param>
/// <param name="Avd">Downsample with a 3x3 average pool instead of a strided convolution when the block strides.</param>
/// <param name="AvdFirst">Place that pool before the Split-Attention convolution rather than after it.</param>
public sealed record ResNeStSpec(int Radix = 2, int Cardinality = 1, int BaseWidth = 64, bool Avd = true, bool AvdFirst = false) : BlockSpec(4)
{
    /// <summary>Apply avd even at stride 1 (timm <c>is_first</c>; timm's ResNet never sets it).</summary>
    public bool IsFirst { get; init; }

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Create(int inPlanes, int planes, BlockPlacement? placement = null) =>
        new ResNeStBottleneck(inPlanes, planes, this, placement);

    // With Split-Attention the DropBlock sits inside it, after its first norm (timm's drop_layer).
    internal override bool DropBlockInBranch => Radix == 0;

    /// <summary>The stride the avd pool takes over from the 3x3 convolution (0: no pool).</summary>
    internal int AvdStride(int stride) => Avd && (stride > 1 || IsFirst) ? stride : 0;

    /// <summary>The Split-Attention settings of the block's 3x3 stage.</summary>
    internal SplitAttentionOptions SplitAttention(BlockPlacement placement)
    {
        int dilation = placement.EffectiveFirstDilation;
        return new(Stride: AvdStride(placement.Stride) > 0 ? 1 : placement.Stride, Padding: dilation, Dilation: dilation,
            Groups: Cardinality, Radix: Radix);
    }

    internal override void Validate(int inPlanes, int planes, BlockPlacement placement)
    {
        base.Validate(inPlanes, planes, placement);
        Guard.NonNegative(Radix, nameof(Radix));
        int width = ChannelMath.GroupWidth(planes, BaseWidth, Cardinality);
        Guard.Divisible(width, nameof(BaseWidth), Cardinality * System.Math.Max(Radix, 1), "cardinality x radix", ChannelMath.GroupWidthRule);
        if (Radix >= 1)
            SplitAttention(placement).AttentionChannels(width, width);
    }
}
