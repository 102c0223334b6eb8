using static TorchSharp.torch;

namespace ResNeStBlocks.Blocks;

/// <summary>
/// A residual block's own settings (timm's <c>block</c>, <c>cardinality</c>, <c>base_width</c> and
/// <c>block_args</c>): a backbone stacks blocks of one spec, and each block is constructed from
/// its spec plus the <see cref="BlockPlacement"/> the backbone chooses for its position.
/// </summary>
public abstract record BlockSpec
{
    /// <summary>Creates a spec for blocks that output <paramref name="expansion"/> channels per plane.</summary>
    /// <param name="expansion">Output channels per plane.</param>
    protected BlockSpec(int expansion) => Expansion = expansion;

    /// <summary>Output channels per plane (1 for basic blocks, 4 for bottlenecks).</summary>
    public int Expansion { get; }

    /// <summary>Creates one block.</summary>
    /// <param name="inPlanes">Input channels.</param>
    /// <param name="planes">Stage planes; the block outputs <c>planes * Expansion</c> channels.</param>
    /// <param name="placement">Stride, shortcut, dilation and regularisation chosen by the backbone; <c>null</c> for <see cref="BlockPlacement.Default"/>.</param>
    /// <returns>The block.</returns>
    /// <exception cref="System.ArgumentException">A setting does not fit these channels; nothing was allocated.</exception>
    public abstract nn.Module<Tensor, Tensor> Create(int inPlanes, int planes, BlockPlacement? placement = null);

    /// <summary>The channel attention a block of this spec applies to its branch output (<c>se</c>), if any.</summary>
    internal virtual AttentionFactory? BranchAttention => null;

    /// <summary>Whether the block itself places the DropBlock layer (after its 3x3 convolution's norm).</summary>
    internal virtual bool DropBlockInBranch => false;

    /// <summary>
    /// Every check a block of this spec makes at this position, without allocating; a block's constructor runs
    /// it first, and a backbone runs it for every position before building anything.
    /// </summary>
    internal virtual void Validate(int inPlanes, int planes, BlockPlacement placement)
    {
        Guard.Positive(inPlanes, nameof(inPlanes));
        Guard.Positive(planes, nameof(planes));
        placement.Validate();
    }

    /// <summary>Checks timm's <c>reduce_first</c>; returns the first convolution's width, <c>width / reduceFirst</c>.</summary>
    private protected static int FirstWidth(int width, int reduceFirst, string what)
    {
        Guard.Positive(reduceFirst, "ReduceFirst");
        int first = width / reduceFirst;
        Guard.Positive(first, "ReduceFirst", what);
        return first;
    }
}
