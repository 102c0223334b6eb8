using ResNeStBlocks.Blocks;
using ResNeStBlocks.Layers;
using static TorchSharp.torch;

namespace ResNeStBlocks.Backbones;

/// <summary>
/// Which residual block a <see cref="ResNet"/> stacks, with the block's own settings (timm's
/// <c>block</c>, <c>cardinality</c>, <c>base_width</c> and <c>block_args</c>).
/// </summary>
public abstract record BlockSpec
{
    /// <summary>Output channels per plane (1 for basic blocks, 4 for bottlenecks).</summary>
    public abstract int Expansion { get; }

    /// <summary>Creates one block.</summary>
    /// <param name="inPlanes">Input channels.</param>
    /// <param name="planes">Stage planes; the block outputs <c>planes * Expansion</c> channels.</param>
    /// <param name="stride">The block's stride.</param>
    /// <param name="extras">Shortcut, dilation and regularisation chosen by the backbone.</param>
    /// <returns>The block.</returns>
    public abstract nn.Module<Tensor, Tensor> Create(int inPlanes, int planes, int stride, BlockExtras extras);

    /// <summary>Checks the settings without creating any tensor.</summary>
    internal virtual void Validate() { }
}

/// <summary>The ResNet basic block (<see cref="BasicBlock"/>).</summary>
/// <param name="Attention">Channel attention after the block, or <c>null</c>.</param>
public sealed record BasicBlockSpec(AttentionFactory? Attention = null) : BlockSpec
{
    /// <inheritdoc />
    public override int Expansion => BasicBlock.Expansion;

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Create(int inPlanes, int planes, int stride, BlockExtras extras) =>
        new BasicBlock(inPlanes, planes, stride, attention: Attention, extras: extras);
}

/// <summary>The ResNet / ResNeXt bottleneck (<see cref="Bottleneck"/>).</summary>
/// <param name="Cardinality">Groups of the 3x3 convolution.</param>
/// <param name="BaseWidth">Channels per group at 64 planes.</param>
/// <param name="Attention">Channel attention after the block (for example <see cref="Attention.SqueezeExcite"/>), or <c>null</c>.</param>
public sealed record BottleneckSpec(int Cardinality = 1, int BaseWidth = 64, AttentionFactory? Attention = null) : BlockSpec
{
    /// <inheritdoc />
    public override int Expansion => Bottleneck.Expansion;

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Create(int inPlanes, int planes, int stride, BlockExtras extras) =>
        new Bottleneck(inPlanes, planes, stride, Cardinality, BaseWidth, attention: Attention, extras: extras);

    internal override void Validate()
    {
        Guard.Positive(Cardinality, nameof(Cardinality));
        Guard.Positive(BaseWidth, nameof(BaseWidth));
    }
}

/// <summary>The Res2Net bottleneck (<see cref="Res2NetBottleneck"/>).</summary>
/// <param name="Cardinality">Groups of each split convolution.</param>
/// <param name="BaseWidth">Channels per split at 64 planes.</param>
/// <param name="Scale">Number of splits.</param>
/// <param name="Attention">Channel attention after the block, or <c>null</c>.</param>
public sealed record Res2NetSpec(int Cardinality = 1, int BaseWidth = 26, int Scale = 4, AttentionFactory? Attention = null) : BlockSpec
{
    /// <inheritdoc />
    public override int Expansion => Res2NetBottleneck.Expansion;

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Create(int inPlanes, int planes, int stride, BlockExtras extras) =>
        new Res2NetBottleneck(inPlanes, planes, stride, Cardinality, BaseWidth, Scale, Attention, extras);

    internal override void Validate()
    {
        Guard.Positive(Cardinality, nameof(Cardinality));
        Guard.Positive(BaseWidth, nameof(BaseWidth));
        Guard.Positive(Scale, nameof(Scale));
    }
}

/// <summary>The ResNeSt bottleneck (<see cref="ResNeStBottleneck"/>).</summary>
/// <param name="Radix">Splits per cardinal group (0: plain grouped convolution).</param>
/// <param name="Cardinality">Cardinal groups.</param>
/// <param name="BaseWidth">Channels per group at 64 planes.</param>
/// <param name="Avd">Average-pool downsampling in strided blocks.</param>
/// <param name="AvdFirst">Pool before the Split-Attention convolution rather than after.</param>
public sealed record ResNeStSpec(int Radix = 2, int Cardinality = 1, int BaseWidth = 64, bool Avd = true, bool AvdFirst = false) : BlockSpec
{
    /// <inheritdoc />
    public override int Expansion => ResNeStBottleneck.Expansion;

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Create(int inPlanes, int planes, int stride, BlockExtras extras) =>
        new ResNeStBottleneck(inPlanes, planes, stride, Radix, Cardinality, BaseWidth, Avd, AvdFirst, extras: extras);

    internal override void Validate()
    {
        Guard.NonNegative(Radix, nameof(Radix));
        Guard.Positive(Cardinality, nameof(Cardinality));
        Guard.Positive(BaseWidth, nameof(BaseWidth));
    }
}

/// <summary>The SKNet basic block (<see cref="SelectiveKernelBasicBlock"/>).</summary>
/// <param name="SelectiveKernel">Selective Kernel settings.</param>
/// <param name="Attention">Channel attention after the block, or <c>null</c>.</param>
public sealed record SelectiveKernelBasicSpec(SelectiveKernelOptions? SelectiveKernel = null, AttentionFactory? Attention = null) : BlockSpec
{
    /// <inheritdoc />
    public override int Expansion => SelectiveKernelBasicBlock.Expansion;

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Create(int inPlanes, int planes, int stride, BlockExtras extras) =>
        new SelectiveKernelBasicBlock(inPlanes, planes, stride, selectiveKernel: SelectiveKernel, attention: Attention, extras: extras);
}

/// <summary>The SKNet / SKResNeXt bottleneck (<see cref="SelectiveKernelBottleneck"/>).</summary>
/// <param name="Cardinality">Groups of the Selective Kernel convolutions.</param>
/// <param name="BaseWidth">Channels per group at 64 planes.</param>
/// <param name="SelectiveKernel">Selective Kernel settings.</param>
/// <param name="Attention">Channel attention after the block, or <c>null</c>.</param>
public sealed record SelectiveKernelBottleneckSpec(int Cardinality = 1, int BaseWidth = 64, SelectiveKernelOptions? SelectiveKernel = null,
    AttentionFactory? Attention = null) : BlockSpec
{
    /// <inheritdoc />
    public override int Expansion => SelectiveKernelBottleneck.Expansion;

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Create(int inPlanes, int planes, int stride, BlockExtras extras) =>
        new SelectiveKernelBottleneck(inPlanes, planes, stride, Cardinality, BaseWidth, selectiveKernel: SelectiveKernel, attention: Attention, extras: extras);

    internal override void Validate()
    {
        Guard.Positive(Cardinality, nameof(Cardinality));
        Guard.Positive(BaseWidth, nameof(BaseWidth));
    }
}
