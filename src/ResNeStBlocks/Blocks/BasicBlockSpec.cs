using static TorchSharp.torch;

namespace ResNeStBlocks.Blocks;

/// <summary>The ResNet basic block (<see cref="BasicBlock"/>).</summary>
/// <param name="Attention">Channel attention after the block, or <c>null</c>.</param>
public sealed record BasicBlockSpec(AttentionFactory? Attention = null) : BlockSpec(1)
{
    /// <summary>Divides the first convolution's width (timm <c>reduce_first</c>).</summary>
    public int ReduceFirst { get; init; } = 1;

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Create(int inPlanes, int planes, BlockPlacement? placement = null) =>
        new BasicBlock(inPlanes, planes, this, placement);

    internal override AttentionFactory? BranchAttention => Attention;

    internal override bool DropBlockInBranch => true;

    internal int FirstPlanes(int planes) => planes / ReduceFirst;

    internal override void Validate(int inPlanes, int planes, BlockPlacement placement)
    {
        base.Validate(inPlanes, planes, placement);
        FirstWidth(planes, ReduceFirst, "planes / reduceFirst");
    }
}
