using ResNeStBlocks.Layers;
using static TorchSharp.torch;

namespace ResNeStBlocks.Blocks;

/// <summary>The Res2Net bottleneck (<see cref="Res2NetBottleneck"/>).</summary>
/// <param name="Cardinality">Groups of each split convolution (Res2NeXt).</param>
/// <param name="BaseWidth">Channels per split at 64 planes; width = <c>floor(planes * baseWidth / 64) * cardinality</c>.</param>
/// <param name="Scale">Number of splits; at least 1.</param>
/// <param name="Attention">Channel attention after the block, or <c>null</c>.</param>
public sealed record Res2NetSpec(int Cardinality = 1, int BaseWidth = 26, int Scale = 4, AttentionFactory? Attention = null) : BlockSpec(4)
{
    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Create(int inPlanes, int planes, BlockPlacement? placement = null) =>
        new Res2NetBottleneck(inPlanes, planes, this, placement);

    internal override AttentionFactory? BranchAttention => Attention;

    internal override void Validate(int inPlanes, int planes, BlockPlacement placement)
    {
        base.Validate(inPlanes, planes, placement);
        int width = ChannelMath.GroupWidth(planes, BaseWidth, Cardinality);
        Guard.Positive(Scale, nameof(Scale));
        Guard.Divisible(width, nameof(BaseWidth), Cardinality, "cardinality", ChannelMath.GroupWidthRule);
    }
}
