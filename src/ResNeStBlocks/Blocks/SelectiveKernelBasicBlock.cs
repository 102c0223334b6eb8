using ResNeStBlocks.Description;
using ResNeStBlocks.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Blocks;

/// <summary>
/// The SKNet basic block (timm <c>SelectiveKernelBasic</c>): a Selective Kernel 3x3 stage, a 3x3
/// convolution + BatchNorm, optional channel attention, plus the shortcut, then ReLU.
/// State-dict keys: <c>conv1.*</c> (Selective Kernel), <c>conv2.conv</c>, <c>conv2.bn</c>, <c>se.*</c>, <c>downsample.*</c>.
/// </summary>
public sealed class SelectiveKernelBasicBlock : ResidualBlock
{
    private readonly SelectiveKernel conv1;
    private readonly ConvNormAct conv2;

    /// <summary>Creates an SK basic block.</summary>
    /// <param name="inPlanes">Input channels.</param>
    /// <param name="planes">Output channels.</param>
    /// <param name="spec">Selective Kernel settings, attention and first-stage width; <c>null</c> for timm's defaults.</param>
    /// <param name="placement">Stride, shortcut, dilation and regularisation (DropBlock goes into every Selective Kernel branch,
    /// after its BatchNorm, as in timm); <c>null</c> for <see cref="BlockPlacement.Default"/>.</param>
    /// <exception cref="System.ArgumentException">A setting is invalid; nothing was allocated.</exception>
    public SelectiveKernelBasicBlock(int inPlanes, int planes, SelectiveKernelBasicSpec? spec = null, BlockPlacement? placement = null)
        : base(nameof(SelectiveKernelBasicBlock), inPlanes, planes, spec ??= new(), placement ??= BlockPlacement.Default)
    {
        int firstPlanes = spec.FirstPlanes(planes);
        // The Selective Kernel checks its own settings, so it is built first: when it throws, nothing is allocated.
        conv1 = (spec.SelectiveKernel ?? SelectiveKernelOptions.Default).Create(inPlanes, firstPlanes, placement.Stride, placement.EffectiveFirstDilation, 1,
            placement.DropBlock);
        conv2 = new ConvNormAct(firstPlanes, OutChannels, 3, dilation: placement.Dilation, applyActivation: false);
        CompleteConstruction();
    }

    private protected override BatchNorm2d? LastNorm => conv2.Norm;

    private protected override Tensor Branch(Tensor input) => conv2.call(conv1.call(input));

    private protected override GraphValue DescribeBranch(ForwardGraph graph, GraphValue input) => graph.Call(conv2, graph.Call(conv1, input));
}
