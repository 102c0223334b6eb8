using ResNeStBlocks.Layers;
using static TorchSharp.torch;

namespace ResNeStBlocks.Blocks;

/// <summary>The ResNet / ResNeXt bottleneck (<see cref="Bottleneck"/>).</summary>
/// <param name="Cardinality">Groups of the 3x3 convolution.</param>
/// <param name="BaseWidth">Channels per group at 64 planes; width = <c>floor(planes * baseWidth / 64) * cardinality</c>.</param>
/// <param name="Attention">Channel attention after the block (for example <see cref="Blocks.Attention.SqueezeExcite"/>), or <c>null</c>.</param>
public sealed record BottleneckSpec(int Cardinality = 1, int BaseWidth = 64, AttentionFactory? Attention = null) : BlockSpec(4)
{
    /// <summary>Divides the first 1x1 convolution's width (timm <c>reduce_first</c>).</summary>
    public int ReduceFirst { get; init; } = 1;

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Create(int inPlanes, int planes, BlockPlacement? placement = null) =>
        new Bottleneck(inPlanes, planes, this, placement);

    internal override AttentionFactory? BranchAttention => Attention;

    internal override bool DropBlockInBranch => true;

    internal override void Validate(int inPlanes, int planes, BlockPlacement placement)
    {
        base.Validate(inPlanes, planes, placement);
        int firstPlanes = FirstWidth(ChannelMath.GroupWidth(planes, BaseWidth, Cardinality), ReduceFirst, "width / reduceFirst");
        Guard.Divisible(firstPlanes, nameof(ReduceFirst), Cardinality, "cardinality", "width / reduceFirst");
    }
}
