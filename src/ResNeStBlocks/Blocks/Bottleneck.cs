using System;
using ResNeStBlocks.Inference;
using ResNeStBlocks.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Blocks;

/// <summary>
/// The ResNet / ResNeXt bottleneck (He et al., 2016; Xie et al., 2017; timm <c>Bottleneck</c>):
/// 1x1 reduce, grouped 3x3 (cardinality groups of <c>baseWidth</c> channels at 64 planes), 1x1 expand to
/// <c>planes * 4</c>, optional channel attention (for example SE), plus the shortcut, then ReLU.
/// State-dict keys: <c>conv1</c>, <c>bn1</c>, <c>conv2</c>, <c>bn2</c>, <c>conv3</c>, <c>bn3</c>, <c>se.*</c>, <c>downsample.*</c>.
/// </summary>
public sealed class Bottleneck : ResidualBlock
{
    /// <summary>Output channels per plane.</summary>
    public const int Expansion = 4;

    private readonly Conv2d conv1;
    private BatchNorm2d? bn1;
    private readonly Conv2d conv2;
    private BatchNorm2d? bn2;
    private readonly DropBlock? drop_block;
    private readonly Conv2d conv3;
    private BatchNorm2d? bn3;
    private readonly nn.Module<Tensor, Tensor>? se;

    /// <summary>Creates a bottleneck block.</summary>
    /// <param name="inPlanes">Input channels.</param>
    /// <param name="planes">Bottleneck planes; the output has <c>planes * 4</c> channels.</param>
    /// <param name="stride">Stride of the 3x3 convolution.</param>
    /// <param name="cardinality">Groups of the 3x3 convolution.</param>
    /// <param name="baseWidth">Channels per group at 64 planes; width = <c>floor(planes * baseWidth / 64) * cardinality</c>.</param>
    /// <param name="reduceFirst">Divides the first 1x1 convolution's width (timm <c>reduce_first</c>).</param>
    /// <param name="attention">Channel attention on the branch output (timm <c>attn_layer</c>), or <c>null</c>.</param>
    /// <param name="extras">Shortcut, dilation and regularisation chosen by the backbone.</param>
    public Bottleneck(int inPlanes, int planes, int stride = 1, int cardinality = 1, int baseWidth = 64, int reduceFirst = 1,
        AttentionFactory? attention = null, BlockExtras? extras = null)
        : base(nameof(Bottleneck), inPlanes, planes, Expansion, extras ?? BlockExtras.None)
    {
        extras ??= BlockExtras.None;
        Guard.Positive(stride, nameof(stride));
        Guard.Positive(cardinality, nameof(cardinality));
        Guard.Positive(baseWidth, nameof(baseWidth));
        Guard.Positive(reduceFirst, nameof(reduceFirst));
        int width = Guard.GroupWidth(planes, baseWidth, cardinality);
        int firstPlanes = width / reduceFirst;
        Guard.Positive(firstPlanes, "width / reduceFirst");
        Guard.Divisible(firstPlanes, "width / reduceFirst", cardinality, nameof(cardinality));
        int dilation = extras.EffectiveFirstDilation;

        conv1 = nn.Conv2d(inPlanes, firstPlanes, 1, bias: false);
        bn1 = nn.BatchNorm2d(firstPlanes);
        conv2 = nn.Conv2d(firstPlanes, width, 3, stride: stride, padding: dilation, dilation: dilation, groups: cardinality, bias: false);
        bn2 = nn.BatchNorm2d(width);
        drop_block = extras.DropBlock?.Invoke();
        conv3 = nn.Conv2d(width, OutChannels, 1, bias: false);
        bn3 = nn.BatchNorm2d(OutChannels);
        se = attention?.Invoke(OutChannels);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override void ZeroInitLastNorm() => Residual.ZeroScale(bn3);

    private protected override int FoldBranchNorms() =>
        BatchNormFolding.Fold(this, conv1, ref bn1, nameof(bn1))
            + BatchNormFolding.Fold(this, conv2, ref bn2, nameof(bn2))
            + BatchNormFolding.Fold(this, conv3, ref bn3, nameof(bn3));

    private protected override Tensor Branch(Tensor input)
    {
        var x = bn1.CallOrPass(conv1.call(input)).relu_();
        x = bn2.CallOrPass(conv2.call(x));
        if (drop_block is not null) x = drop_block.call(x);
        x = bn3.CallOrPass(conv3.call(x.relu_()));
        if (se is not null) x = se.call(x);
        return x;
    }
}
