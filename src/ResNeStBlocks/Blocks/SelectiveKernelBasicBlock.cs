using System;
using ResNeStBlocks.Inference;
using ResNeStBlocks.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Blocks;

/// <summary>
/// The SKNet basic block (timm <c>SelectiveKernelBasic</c>): a Selective Kernel 3x3 stage, a 3x3
/// convolution + BatchNorm, optional channel attention, plus the shortcut, then ReLU.
/// State-dict keys: <c>conv1.*</c> (Selective Kernel), <c>conv2.conv</c>, <c>conv2.bn</c>, <c>se.*</c>, <c>downsample.*</c>.
/// </summary>
public sealed class SelectiveKernelBasicBlock : ResidualBlock
{
    /// <summary>Output channels per plane.</summary>
    public const int Expansion = 1;

    private readonly SelectiveKernel conv1;
    private readonly ConvNormAct conv2;
    private readonly nn.Module<Tensor, Tensor>? se;

    /// <summary>Creates an SK basic block.</summary>
    /// <param name="inPlanes">Input channels.</param>
    /// <param name="planes">Output channels.</param>
    /// <param name="stride">Stride of the Selective Kernel stage.</param>
    /// <param name="reduceFirst">Divides the first stage's width (timm <c>reduce_first</c>).</param>
    /// <param name="selectiveKernel">Selective Kernel settings (timm <c>sk_kwargs</c>).</param>
    /// <param name="attention">Channel attention on the branch output, or <c>null</c>.</param>
    /// <param name="extras">Shortcut, dilation and regularisation chosen by the backbone (DropBlock is not used by this block).</param>
    public SelectiveKernelBasicBlock(int inPlanes, int planes, int stride = 1, int reduceFirst = 1,
        SelectiveKernelOptions? selectiveKernel = null, AttentionFactory? attention = null, BlockExtras? extras = null)
        : base(nameof(SelectiveKernelBasicBlock), inPlanes, planes, Expansion, extras ?? BlockExtras.None)
    {
        extras ??= BlockExtras.None;
        var sk = selectiveKernel ?? SelectiveKernelOptions.Default;
        Guard.Positive(reduceFirst, nameof(reduceFirst));
        int firstPlanes = planes / reduceFirst;
        Guard.Positive(firstPlanes, "planes / reduceFirst");

        conv1 = new SelectiveKernel(inPlanes, firstPlanes, sk.KernelSizes, stride, extras.EffectiveFirstDilation,
            reductionRatio: sk.ReductionRatio, reductionDivisor: sk.ReductionDivisor, keepThreeByThree: sk.KeepThreeByThree, splitInput: sk.SplitInput);
        conv2 = new ConvNormAct(firstPlanes, OutChannels, 3, dilation: extras.Dilation, applyActivation: false);
        se = attention?.Invoke(OutChannels);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override void ZeroInitLastNorm() => Residual.ZeroScale(conv2.Norm);


    private protected override Tensor Branch(Tensor input)
    {
        var x = conv2.call(conv1.call(input));
        if (se is not null) x = se.call(x);
        return x;
    }
}
