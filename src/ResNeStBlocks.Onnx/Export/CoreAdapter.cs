using ResNeStBlocks.Layers;

namespace ResNeStBlocks.Onnx.Export;

/// <summary>
/// The only read of the core library's internals (granted by InternalsVisibleTo); everything else the exporter learns
/// from the modules' descriptions.
/// </summary>
internal static class CoreAdapter
{
    /// <summary>The float64 weight and bias of <paramref name="conv"/> with <paramref name="norm"/> folded in (the library's folding, on copies).</summary>
    public static (TorchSharp.torch.Tensor Weight, TorchSharp.torch.Tensor Bias) FoldedParameters(TorchSharp.Modules.Conv2d conv, TorchSharp.Modules.BatchNorm2d norm) =>
        BatchNormFolding.FoldedParameters(conv, norm);
}
