using System;
using ResNeStBlocks.Inference;
using ResNeStBlocks.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Blocks;

/// <summary>
/// The ResNeSt bottleneck (Zhang et al., 2020; timm <c>ResNestBottleneck</c>): 1x1 reduce, a radix-major
/// Split-Attention 3x3 convolution, optional average-pool downsampling ("avd") before or after it, 1x1
/// expand to <c>planes * 4</c>, plus the shortcut, then ReLU.
/// State-dict keys: <c>conv1</c>, <c>bn1</c>, <c>conv2.*</c> (Split-Attention; with radix 0 a plain
/// convolution and <c>bn2</c>), <c>conv3</c>, <c>bn3</c>, <c>downsample.*</c>.
/// </summary>
public sealed class ResNeStBottleneck : ResidualBlock
{
    /// <summary>Output channels per plane.</summary>
    public const int Expansion = 4;

    private readonly Conv2d conv1;
    private BatchNorm2d? bn1;
    private readonly AvgPool2d? avd_first;
    private readonly nn.Module<Tensor, Tensor> conv2;
    private BatchNorm2d? bn2;
    private readonly DropBlock? drop_block;
    private readonly AvgPool2d? avd_last;
    private readonly Conv2d conv3;
    private BatchNorm2d? bn3;

    /// <summary>Creates a ResNeSt bottleneck.</summary>
    /// <param name="inPlanes">Input channels.</param>
    /// <param name="planes">Bottleneck planes; the output has <c>planes * 4</c> channels.</param>
    /// <param name="stride">Spatial stride of the block.</param>
    /// <param name="radix">Splits per cardinal group in the Split-Attention convolution; 0 gives a plain grouped convolution.</param>
    /// <param name="cardinality">Cardinal groups.</param>
    /// <param name="baseWidth">Channels per group at 64 planes; width = <c>floor(planes * baseWidth / 64) * cardinality</c>.</param>
    /// <param name="avd">Downsample with a 3x3 average pool instead of a strided convolution when the block strides.</param>
    /// <param name="avdFirst">Place that pool before the Split-Attention convolution rather than after it.</param>
    /// <param name="isFirst">Apply avd even at stride 1 (timm <c>is_first</c>).</param>
    /// <param name="extras">Shortcut, dilation and regularisation chosen by the backbone.</param>
    public ResNeStBottleneck(int inPlanes, int planes, int stride = 1, int radix = 2, int cardinality = 1, int baseWidth = 64,
        bool avd = true, bool avdFirst = false, bool isFirst = false, BlockExtras? extras = null)
        : base(nameof(ResNeStBottleneck), inPlanes, planes, Expansion, extras ?? BlockExtras.None)
    {
        extras ??= BlockExtras.None;
        Guard.Positive(stride, nameof(stride));
        Guard.NonNegative(radix, nameof(radix));
        Guard.Positive(cardinality, nameof(cardinality));
        Guard.Positive(baseWidth, nameof(baseWidth));
        int width = Guard.GroupWidth(planes, baseWidth, cardinality);
        Guard.Divisible(width, "floor(planes * baseWidth / 64) * cardinality", cardinality * System.Math.Max(radix, 1), "cardinality x radix");
        int dilation = extras.EffectiveFirstDilation;

        int avdStride = avd && (stride > 1 || isFirst) ? stride : 0;
        int convStride = avdStride > 0 ? 1 : stride;

        conv1 = nn.Conv2d(inPlanes, width, 1, bias: false);
        bn1 = nn.BatchNorm2d(width);
        avd_first = avdStride > 0 && avdFirst ? nn.AvgPool2d(3, avdStride, 1) : null;
        if (radix >= 1)
        {
            conv2 = new SplitAttention(width, width, 3, convStride, dilation, dilation, cardinality, radix,
                dropLayer: extras.DropBlock?.Invoke());
        }
        else
        {
            conv2 = nn.Conv2d(width, width, 3, stride: convStride, padding: dilation, dilation: dilation, groups: cardinality, bias: false);
            bn2 = nn.BatchNorm2d(width);
            drop_block = extras.DropBlock?.Invoke();
        }
        avd_last = avdStride > 0 && !avdFirst ? nn.AvgPool2d(3, avdStride, 1) : null;
        conv3 = nn.Conv2d(width, OutChannels, 1, bias: false);
        bn3 = nn.BatchNorm2d(OutChannels);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override void ZeroInitLastNorm() => Residual.ZeroScale(bn3);

    private protected override int FoldBranchNorms() =>
        BatchNormFolding.Fold(this, conv1, ref bn1, nameof(bn1))
            + (conv2 is Conv2d plain ? BatchNormFolding.Fold(this, plain, ref bn2, nameof(bn2)) : 0)
            + BatchNormFolding.Fold(this, conv3, ref bn3, nameof(bn3));

    private protected override Tensor Branch(Tensor input)
    {
        var x = bn1.CallOrPass(conv1.call(input)).relu_();
        if (avd_first is not null) x = avd_first.call(x);
        x = conv2.call(x);
        if (conv2 is Conv2d)
            x = drop_block.CallOrPass(bn2.CallOrPass(x)).relu_();
        if (avd_last is not null) x = avd_last.call(x);
        return bn3.CallOrPass(conv3.call(x));
    }
}
