using ResNeStBlocks.Layers;
using static TorchSharp.torch;

namespace ResNeStBlocks.Blocks;

/// <summary>The SKNet / SKResNeXt bottleneck (<see cref="SelectiveKernelBottleneck"/>).</summary>
/// <param name="Cardinality">Groups of the Selective Kernel convolutions.</param>
/// <param name="BaseWidth">Channels per group at 64 planes; width = <c>floor(planes * baseWidth / 64) * cardinality</c>.</param>
/// <param name="SelectiveKernel">Selective Kernel settings (timm <c>sk_kwargs</c>); <c>null</c> for timm's defaults.</param>
/// <param name="Attention">Channel attention after the block, or <c>null</c>.</param>
public sealed record SelectiveKernelBottleneckSpec(int Cardinality = 1, int BaseWidth = 64, SelectiveKernelOptions? SelectiveKernel = null,
    AttentionFactory? Attention = null) : BlockSpec(4)
{
    /// <summary>Divides the first 1x1 convolution's width (timm <c>reduce_first</c>).</summary>
    public int ReduceFirst { get; init; } = 1;

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Create(int inPlanes, int planes, BlockPlacement? placement = null) =>
        new SelectiveKernelBottleneck(inPlanes, planes, this, placement);

    internal override AttentionFactory? BranchAttention => Attention;

    internal override void Validate(int inPlanes, int planes, BlockPlacement placement)
    {
        base.Validate(inPlanes, planes, placement);
        FirstWidth(ChannelMath.GroupWidth(planes, BaseWidth, Cardinality), ReduceFirst, "width / reduceFirst");
    }
}
