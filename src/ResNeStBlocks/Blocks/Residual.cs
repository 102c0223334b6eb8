using ResNeStBlocks.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Blocks;

/// <summary>Helpers for residual branches.</summary>
internal static class Residual
{
    public static void ZeroScale(BatchNorm2d? norm)
    {
        if (norm is null)
            throw new System.InvalidOperationException("The block's last BatchNorm has been folded into its convolution; zero-init applies before folding only.");
        using var _ = no_grad();
        norm.weight!.zero_();
    }
}
