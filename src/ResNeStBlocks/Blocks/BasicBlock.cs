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
public sealed class BasicBlock : ResidualBlock
{
    /// <summary>Output channels per plane.</summary>
    public const int Expansion = 1;

    private readonly Conv2d conv1;
    private BatchNorm2d? bn1;
    private readonly DropBlock? drop_block;
    private readonly Conv2d conv2;
    private BatchNorm2d? bn2;
    private readonly nn.Module<Tensor, Tensor>? se;

    /// <summary>Creates a basic block.</summary>
    /// <param name="inPlanes">Input channels.</param>
    /// <param name="planes">Output channels.</param>
    /// <param name="stride">Stride of the first convolution.</param>
    /// <param name="reduceFirst">Divides the first convolution's width (timm <c>reduce_first</c>).</param>
    /// <param name="attention">Channel attention on the branch output, or <c>null</c>.</param>
    /// <param name="extras">Shortcut, dilation and regularisation chosen by the backbone.</param>
    public BasicBlock(int inPlanes, int planes, int stride = 1, int reduceFirst = 1, AttentionFactory? attention = null, BlockExtras? extras = null)
        : base(nameof(BasicBlock), inPlanes, planes, Expansion, extras ?? BlockExtras.None)
    {
        extras ??= BlockExtras.None;
        Guard.Positive(stride, nameof(stride));
        Guard.Positive(reduceFirst, nameof(reduceFirst));
        int firstPlanes = planes / reduceFirst;
        Guard.Positive(firstPlanes, "planes / reduceFirst");
        int firstDilation = extras.EffectiveFirstDilation;

        conv1 = nn.Conv2d(inPlanes, firstPlanes, 3, stride: stride, padding: firstDilation, dilation: firstDilation, bias: false);
        bn1 = nn.BatchNorm2d(firstPlanes);
        drop_block = extras.DropBlock?.Invoke();
        conv2 = nn.Conv2d(firstPlanes, OutChannels, 3, padding: extras.Dilation, dilation: extras.Dilation, bias: false);
        bn2 = nn.BatchNorm2d(OutChannels);
        se = attention?.Invoke(OutChannels);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override void ZeroInitLastNorm() => Residual.ZeroScale(bn2);

    private protected override int FoldBranchNorms() =>
        BatchNormFolding.Fold(this, conv1, ref bn1, nameof(bn1))
            + BatchNormFolding.Fold(this, conv2, ref bn2, nameof(bn2));

    private protected override Tensor Branch(Tensor input)
    {
        var x = bn1.CallOrPass(conv1.call(input));
        if (drop_block is not null) x = drop_block.call(x);
        x = bn2.CallOrPass(conv2.call(x.relu_()));
        if (se is not null) x = se.call(x);
        return x;
    }
}
