using ResNeStBlocks.Description;
using ResNeStBlocks.Layers;
using TorchSharp;
using TorchSharp.Modules;
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
    private readonly ConvNormAct conv1;
    private readonly SelectiveKernel conv2;
    private readonly ConvNormAct conv3;

    /// <summary>Creates an SK bottleneck.</summary>
    /// <param name="inPlanes">Input channels.</param>
    /// <param name="planes">Bottleneck planes; the output has <c>planes * 4</c> channels.</param>
    /// <param name="spec">Cardinality, base width, Selective Kernel settings and attention; <c>null</c> for timm's defaults.</param>
    /// <param name="placement">Stride, shortcut, dilation and regularisation (DropBlock goes into every Selective Kernel branch,
    /// after its BatchNorm, as in timm); <c>null</c> for <see cref="BlockPlacement.Default"/>.</param>
    /// <exception cref="System.ArgumentException">A setting is invalid; nothing was allocated.</exception>
    public SelectiveKernelBottleneck(int inPlanes, int planes, SelectiveKernelBottleneckSpec? spec = null, BlockPlacement? placement = null)
        : base(nameof(SelectiveKernelBottleneck), inPlanes, planes, spec ??= new(), placement ??= BlockPlacement.Default)
    {
        int width = ChannelMath.GroupWidth(planes, spec.BaseWidth, spec.Cardinality);
        int firstPlanes = width / spec.ReduceFirst;
        // The Selective Kernel checks its own settings, so it is built first: when it throws, nothing is allocated.
        conv2 = (spec.SelectiveKernel ?? SelectiveKernelOptions.Default).Create(firstPlanes, width, placement.Stride,
            placement.EffectiveFirstDilation, spec.Cardinality, placement.DropBlock);
        conv1 = new ConvNormAct(inPlanes, firstPlanes, 1);
        conv3 = new ConvNormAct(width, OutChannels, 1, applyActivation: false);
        CompleteConstruction();
    }

    private protected override BatchNorm2d? LastNorm => conv3.Norm;

    private protected override Tensor Branch(Tensor input) => conv3.call(conv2.call(conv1.call(input)));

    private protected override GraphValue DescribeBranch(ForwardGraph graph, GraphValue input) =>
        graph.Call(conv3, graph.Call(conv2, graph.Call(conv1, input)));
}
