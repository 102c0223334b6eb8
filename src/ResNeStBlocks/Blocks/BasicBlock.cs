using ResNeStBlocks.Description;
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
    private readonly Conv2d conv1;
    private BatchNorm2d? bn1;
    private readonly Conv2d conv2;
    private BatchNorm2d? bn2;

    /// <summary>Creates a basic block.</summary>
    /// <param name="inPlanes">Input channels.</param>
    /// <param name="planes">Output channels.</param>
    /// <param name="spec">Attention and first-convolution width; <c>null</c> for a plain block.</param>
    /// <param name="placement">Stride, shortcut, dilation and regularisation; <c>null</c> for <see cref="BlockPlacement.Default"/>.</param>
    /// <exception cref="System.ArgumentException">A setting is invalid; nothing was allocated.</exception>
    public BasicBlock(int inPlanes, int planes, BasicBlockSpec? spec = null, BlockPlacement? placement = null)
        : base(nameof(BasicBlock), inPlanes, planes, spec ??= new(), placement ??= BlockPlacement.Default)
    {
        int firstPlanes = spec.FirstPlanes(planes);
        int firstDilation = placement.EffectiveFirstDilation;
        conv1 = nn.Conv2d(inPlanes, firstPlanes, 3, stride: placement.Stride, padding: firstDilation, dilation: firstDilation, bias: false);
        bn1 = nn.BatchNorm2d(firstPlanes);
        conv2 = nn.Conv2d(firstPlanes, OutChannels, 3, padding: placement.Dilation, dilation: placement.Dilation, bias: false);
        bn2 = nn.BatchNorm2d(OutChannels);
        CompleteConstruction();
    }

    private protected override BatchNorm2d? LastNorm => bn2;

    private protected override GraphValue DescribeBranch(ForwardGraph graph, GraphValue input) =>
        graph.Convolution(conv2, DescribeRegularisedStage(graph, conv1, bn1, input), bn2);

    private protected override Tensor Branch(Tensor input)
    {
        var x = drop_block.CallOrPass(bn1.CallOrPass(conv1.call(input)));
        return bn2.CallOrPass(conv2.call(x.relu_()));
    }
}
