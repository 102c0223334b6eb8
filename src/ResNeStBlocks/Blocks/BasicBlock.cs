using System;
using ResNeStBlocks.Inference;
using ResNeStBlocks.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Blocks;

/// <summary>
/// The ResNet basic block (He et al., 2016; timm <c>BasicBlock</c>): two 3x3 convolutions, optional
/// channel attention, plus the shortcut, then ReLU.
/// State-dict keys: <c>conv1</c>, <c>bn1</c>, <c>conv2</c>, <c>bn2</c>, <c>se.*</c>, <c>downsample.*</c>.
/// </summary>
public sealed class BasicBlock : nn.Module<Tensor, Tensor>, IResidualBlock, IFoldableNorm
{
    /// <summary>Output channels per plane.</summary>
    public const int Expansion = 1;

    private readonly Conv2d conv1;
    private BatchNorm2d? bn1;
    private readonly DropBlock? drop_block;
    private readonly Conv2d conv2;
    private BatchNorm2d? bn2;
    private readonly nn.Module<Tensor, Tensor>? se;
    private readonly DropPath? drop_path;
    private nn.Module<Tensor, Tensor>? downsample;
    private bool normsFolded;

    /// <summary>Creates a basic block.</summary>
    /// <param name="inPlanes">Input channels.</param>
    /// <param name="planes">Output channels.</param>
    /// <param name="stride">Stride of the first convolution.</param>
    /// <param name="reduceFirst">Divides the first convolution's width (timm <c>reduce_first</c>).</param>
    /// <param name="attention">Channel attention on the branch output, or <c>null</c>.</param>
    /// <param name="extras">Shortcut, dilation and regularisation chosen by the backbone.</param>
    public BasicBlock(int inPlanes, int planes, int stride = 1, int reduceFirst = 1, AttentionFactory? attention = null, BlockExtras? extras = null)
        : base(nameof(BasicBlock))
    {
        extras ??= BlockExtras.None;
        Guard.Positive(inPlanes, nameof(inPlanes));
        Guard.Positive(planes, nameof(planes));
        Guard.Positive(stride, nameof(stride));
        Guard.Positive(reduceFirst, nameof(reduceFirst));
        extras.Validate();
        int firstPlanes = planes / reduceFirst;
        Guard.Positive(firstPlanes, "planes / reduceFirst");
        int firstDilation = extras.EffectiveFirstDilation;

        InChannels = inPlanes;
        OutChannels = planes * Expansion;
        conv1 = nn.Conv2d(inPlanes, firstPlanes, 3, stride: stride, padding: firstDilation, dilation: firstDilation, bias: false);
        bn1 = nn.BatchNorm2d(firstPlanes);
        drop_block = extras.DropBlock?.Invoke();
        conv2 = nn.Conv2d(firstPlanes, OutChannels, 3, padding: extras.Dilation, dilation: extras.Dilation, bias: false);
        bn2 = nn.BatchNorm2d(OutChannels);
        se = attention?.Invoke(OutChannels);
        drop_path = extras.CreateDropPath();
        downsample = extras.Downsample;
        RegisterComponents();
    }

    /// <inheritdoc />
    public int InChannels { get; }

    /// <inheritdoc />
    public int OutChannels { get; }

    /// <inheritdoc />
    public void ZeroInitLastNorm() => Residual.ZeroScale(bn2);

    bool IFoldableNorm.NormsFolded => normsFolded;

    int IFoldableNorm.FoldBatchNorm()
    {
        normsFolded = true;
        return BatchNormFolding.Fold(this, conv1, ref bn1, nameof(bn1))
            + BatchNormFolding.Fold(this, conv2, ref bn2, nameof(bn2))
            + BatchNormFolding.FoldSequential(this, ref downsample, nameof(downsample));
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">Training is requested after the BatchNorms were folded.</exception>
    public override void train(bool on = true)
    {
        BatchNormFolding.EnsureTrainable(normsFolded, on, this);
        base.train(on);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        Guard.Image(input, InChannels, nameof(BasicBlock));
        using var scope = NewDisposeScope();
        var x = bn1.CallOrPass(conv1.call(input));
        if (drop_block is not null) x = drop_block.call(x);
        x = bn2.CallOrPass(conv2.call(x.relu_()));
        if (se is not null) x = se.call(x);
        return Residual.Join(x, input, downsample, drop_path).MoveToOuterDisposeScope();
    }
}
