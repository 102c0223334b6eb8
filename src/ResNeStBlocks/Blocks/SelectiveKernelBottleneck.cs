using System;
using ResNeStBlocks.Inference;
using ResNeStBlocks.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Blocks;

/// <summary>
/// The SKNet / SKResNeXt bottleneck (timm <c>SelectiveKernelBottleneck</c>): 1x1 reduce, a grouped
/// Selective Kernel stage, 1x1 expand to <c>planes * 4</c>, optional channel attention, plus the
/// shortcut, then ReLU.
/// State-dict keys: <c>conv1.conv/bn</c>, <c>conv2.*</c> (Selective Kernel), <c>conv3.conv/bn</c>, <c>se.*</c>, <c>downsample.*</c>.
/// </summary>
public sealed class SelectiveKernelBottleneck : ResidualBlock
{
    /// <summary>Output channels per plane.</summary>
    public const int Expansion = 4;

    private readonly ConvNormAct conv1;
    private readonly SelectiveKernel conv2;
    private readonly ConvNormAct conv3;
    private readonly nn.Module<Tensor, Tensor>? se;

    /// <summary>Creates an SK bottleneck.</summary>
    /// <param name="inPlanes">Input channels.</param>
    /// <param name="planes">Bottleneck planes; the output has <c>planes * 4</c> channels.</param>
    /// <param name="stride">Stride of the Selective Kernel stage.</param>
    /// <param name="cardinality">Groups of the Selective Kernel convolutions.</param>
    /// <param name="baseWidth">Channels per group at 64 planes; width = <c>floor(planes * baseWidth / 64) * cardinality</c>.</param>
    /// <param name="reduceFirst">Divides the first 1x1 convolution's width (timm <c>reduce_first</c>).</param>
    /// <param name="selectiveKernel">Selective Kernel settings (timm <c>sk_kwargs</c>).</param>
    /// <param name="attention">Channel attention on the branch output, or <c>null</c>.</param>
    /// <param name="extras">Shortcut, dilation and regularisation chosen by the backbone (DropBlock is not used by this block).</param>
    public SelectiveKernelBottleneck(int inPlanes, int planes, int stride = 1, int cardinality = 1, int baseWidth = 64, int reduceFirst = 1,
        SelectiveKernelOptions? selectiveKernel = null, AttentionFactory? attention = null, BlockExtras? extras = null)
        : base(nameof(SelectiveKernelBottleneck), inPlanes, planes, Expansion, extras ?? BlockExtras.None)
    {
        extras ??= BlockExtras.None;
        var sk = selectiveKernel ?? SelectiveKernelOptions.Default;
        Guard.Positive(cardinality, nameof(cardinality));
        Guard.Positive(baseWidth, nameof(baseWidth));
        Guard.Positive(reduceFirst, nameof(reduceFirst));
        int width = Guard.GroupWidth(planes, baseWidth, cardinality);
        int firstPlanes = width / reduceFirst;
        Guard.Positive(firstPlanes, "width / reduceFirst");

        conv1 = new ConvNormAct(inPlanes, firstPlanes, 1);
        conv2 = new SelectiveKernel(firstPlanes, width, sk.KernelSizes, stride, extras.EffectiveFirstDilation, cardinality,
            sk.ReductionRatio, sk.ReductionDivisor, keepThreeByThree: sk.KeepThreeByThree, splitInput: sk.SplitInput);
        conv3 = new ConvNormAct(width, OutChannels, 1, applyActivation: false);
        se = attention?.Invoke(OutChannels);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override void ZeroInitLastNorm() => Residual.ZeroScale(conv3.Norm);


    private protected override Tensor Branch(Tensor input)
    {
        var x = conv3.call(conv2.call(conv1.call(input)));
        if (se is not null) x = se.call(x);
        return x;
    }
}
