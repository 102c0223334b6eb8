using System;
using ResNeStBlocks.Description;
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
    private readonly Conv2d conv1;
    private BatchNorm2d? bn1;
    private readonly AvgPool2d? avd_first;
    private readonly nn.Module<Tensor, Tensor> conv2;
    private BatchNorm2d? bn2;
    private readonly AvgPool2d? avd_last;
    private readonly Conv2d conv3;
    private BatchNorm2d? bn3;

    /// <summary>Creates a ResNeSt bottleneck.</summary>
    /// <param name="inPlanes">Input channels.</param>
    /// <param name="planes">Bottleneck planes; the output has <c>planes * 4</c> channels.</param>
    /// <param name="spec">Radix, cardinality, base width and avd placement; <c>null</c> for ResNeSt-50's block.</param>
    /// <param name="placement">Stride, shortcut, dilation and regularisation; <c>null</c> for <see cref="BlockPlacement.Default"/>.</param>
    /// <exception cref="ArgumentException">A setting is invalid; nothing was allocated.</exception>
    public ResNeStBottleneck(int inPlanes, int planes, ResNeStSpec? spec = null, BlockPlacement? placement = null)
        : base(nameof(ResNeStBottleneck), inPlanes, planes, spec ??= new(), placement ??= BlockPlacement.Default)
    {
        int width = ChannelMath.GroupWidth(planes, spec.BaseWidth, spec.Cardinality);
        int dilation = placement.EffectiveFirstDilation;
        int avdStride = spec.AvdStride(placement.Stride);

        conv1 = nn.Conv2d(inPlanes, width, 1, bias: false);
        bn1 = nn.BatchNorm2d(width);
        avd_first = avdStride > 0 && spec.AvdFirst ? nn.AvgPool2d(3, avdStride, 1) : null;
        if (spec.Radix >= 1)
        {
            conv2 = new SplitAttention(width, width, spec.SplitAttention(placement), placement.DropBlock?.Invoke());
        }
        else
        {
            conv2 = nn.Conv2d(width, width, 3, stride: avdStride > 0 ? 1 : placement.Stride, padding: dilation, dilation: dilation,
                groups: spec.Cardinality, bias: false);
            bn2 = nn.BatchNorm2d(width);
        }
        avd_last = avdStride > 0 && !spec.AvdFirst ? nn.AvgPool2d(3, avdStride, 1) : null;
        conv3 = nn.Conv2d(width, OutChannels, 1, bias: false);
        bn3 = nn.BatchNorm2d(OutChannels);
        CompleteConstruction();
    }

    private protected override BatchNorm2d? LastNorm => bn3;

    private protected override GraphValue DescribeBranch(ForwardGraph graph, GraphValue input)
    {
        var x = graph.Convolution(conv1, input, bn1, Activation.Relu);
        if (avd_first is not null) x = graph.Call(avd_first, x);
        x = conv2 is Conv2d plain ? DescribeRegularisedStage(graph, plain, bn2, x) : graph.Call(conv2, x);
        if (avd_last is not null) x = graph.Call(avd_last, x);
        return graph.Convolution(conv3, x, bn3);
    }

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
