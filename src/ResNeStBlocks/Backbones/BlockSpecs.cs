using ResNeStBlocks.Blocks;
using ResNeStBlocks.Layers;
using static TorchSharp.torch;

namespace ResNeStBlocks.Backbones;

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
        int firstPlanes = FirstWidth(GroupWidth(planes, Cardinality, BaseWidth), ReduceFirst, "width / reduceFirst");
        Guard.Divisible(firstPlanes, nameof(ReduceFirst), Cardinality, "cardinality", "width / reduceFirst");
    }
}

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
        int width = GroupWidth(planes, Cardinality, BaseWidth);
        Guard.Positive(Scale, nameof(Scale));
        Guard.Divisible(width, nameof(BaseWidth), Cardinality, "cardinality", Guard.GroupWidthRule);
    }
}

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
        int width = GroupWidth(planes, Cardinality, BaseWidth);
        Guard.Divisible(width, nameof(BaseWidth), Cardinality * System.Math.Max(Radix, 1), "cardinality x radix", Guard.GroupWidthRule);
        if (Radix >= 1)
            SplitAttention(placement).AttentionChannels(width, width);
    }
}

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
        FirstWidth(GroupWidth(planes, Cardinality, BaseWidth), ReduceFirst, "width / reduceFirst");
    }
}
