using static TorchSharp.torch;

namespace ResNeStBlocks.Blocks;

/// <summary>The SKNet basic block (<see cref="SelectiveKernelBasicBlock"/>).</summary>
/// <param name="SelectiveKernel">Selective Kernel settings (timm <c>sk_kwargs</c>); <c>null</c> for timm's defaults.</param>
/// <param name="Attention">Channel attention after the block, or <c>null</c>.</param>
public sealed record SelectiveKernelBasicSpec(SelectiveKernelOptions? SelectiveKernel = null, AttentionFactory? Attention = null) : BlockSpec(1)
{
    /// <summary>Divides the first stage's width (timm <c>reduce_first</c>).</summary>
    public int ReduceFirst { get; init; } = 1;

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Create(int inPlanes, int planes, BlockPlacement? placement = null) =>
        new SelectiveKernelBasicBlock(inPlanes, planes, this, placement);

    internal override AttentionFactory? BranchAttention => Attention;

    internal int FirstPlanes(int planes) => planes / ReduceFirst;

    internal override void Validate(int inPlanes, int planes, BlockPlacement placement)
    {
        base.Validate(inPlanes, planes, placement);
        FirstWidth(planes, ReduceFirst, "planes / reduceFirst");
    }
}
