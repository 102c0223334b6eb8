using ResNeStBlocks.Description;
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
    private readonly Conv2d conv1;
    private BatchNorm2d? bn1;
    private readonly Conv2d conv2;
    private BatchNorm2d? bn2;
    private readonly Conv2d conv3;
    private BatchNorm2d? bn3;

    /// <summary>Creates a bottleneck block.</summary>
    /// <param name="inPlanes">Input channels.</param>
    /// <param name="planes">Bottleneck planes; the output has <c>planes * 4</c> channels.</param>
    /// <param name="spec">Cardinality, base width and attention; <c>null</c> for the plain ResNet bottleneck.</param>
    /// <param name="placement">Stride, shortcut, dilation and regularisation; <c>null</c> for <see cref="BlockPlacement.Default"/>.</param>
    /// <exception cref="System.ArgumentException">A setting is invalid; nothing was allocated.</exception>
    public Bottleneck(int inPlanes, int planes, BottleneckSpec? spec = null, BlockPlacement? placement = null)
        : base(nameof(Bottleneck), inPlanes, planes, spec ??= new(), placement ??= BlockPlacement.Default)
    {
        int width = ChannelMath.GroupWidth(planes, spec.BaseWidth, spec.Cardinality);
        int firstPlanes = width / spec.ReduceFirst;
        int dilation = placement.EffectiveFirstDilation;
        conv1 = nn.Conv2d(inPlanes, firstPlanes, 1, bias: false);
        bn1 = nn.BatchNorm2d(firstPlanes);
        conv2 = nn.Conv2d(firstPlanes, width, 3, stride: placement.Stride, padding: dilation, dilation: dilation, groups: spec.Cardinality, bias: false);
        bn2 = nn.BatchNorm2d(width);
        conv3 = nn.Conv2d(width, OutChannels, 1, bias: false);
        bn3 = nn.BatchNorm2d(OutChannels);
        CompleteConstruction();
    }

    private protected override BatchNorm2d? LastNorm => bn3;

    private protected override GraphValue DescribeBranch(ForwardGraph graph, GraphValue input)
    {
        var x = graph.Convolution(conv1, input, bn1, Activation.Relu);
        x = DescribeRegularisedStage(graph, conv2, bn2, x);
        return graph.Convolution(conv3, x, bn3);
    }

    private protected override Tensor Branch(Tensor input)
    {
        var x = bn1.CallOrPass(conv1.call(input)).relu_();
        x = drop_block.CallOrPass(bn2.CallOrPass(conv2.call(x)));
        return bn3.CallOrPass(conv3.call(x.relu_()));
    }
}
