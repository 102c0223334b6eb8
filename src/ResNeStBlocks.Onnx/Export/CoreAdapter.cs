using ResNeStBlocks.Backbones;
using ResNeStBlocks.Layers;
using TorchSharp;

namespace ResNeStBlocks.Onnx.Export;

/// <summary>
/// The only reads of the core library's internal state (granted by InternalsVisibleTo); everything else the
/// exporter learns from child-module names, TorchSharp module settings and public block properties.
/// </summary>
internal static class CoreAdapter
{
    /// <summary>Whether a <see cref="ConvNormAct"/> applies ReLU after its BatchNorm.</summary>
    public static bool AppliesActivation(ConvNormAct unit) => unit.AppliesActivation;

    /// <summary>Whether <paramref name="module"/> is the avg-down shortcut's same-padded 2x2 pool of dilated stages (timm <c>AvgPool2dSame</c>).</summary>
    public static bool IsSamePaddedAvgPool(torch.nn.Module module) => module is SamePaddedAvgPool;

    /// <summary>The float64 weight and bias of <paramref name="conv"/> with <paramref name="norm"/> folded in (the library's folding, on copies).</summary>
    public static (torch.Tensor Weight, torch.Tensor Bias) FoldedParameters(TorchSharp.Modules.Conv2d conv, TorchSharp.Modules.BatchNorm2d norm) =>
        BatchNormFolding.FoldedParameters(conv, norm);
}
