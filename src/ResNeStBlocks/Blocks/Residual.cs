using ResNeStBlocks.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Blocks;

/// <summary>The residual join every block ends with: drop path, shortcut projection, add, ReLU.</summary>
internal static class Residual
{
    public static Tensor Join(Tensor branch, Tensor input, nn.Module<Tensor, Tensor>? downsample, DropPath? dropPath)
    {
        if (dropPath is not null) branch = dropPath.call(branch);
        var shortcut = downsample is null ? input : downsample.call(input);
        return branch.add_(shortcut).relu_();
    }

    public static void ZeroScale(BatchNorm2d? norm)
    {
        if (norm is null)
            throw new System.InvalidOperationException("The block's last BatchNorm has been folded into its convolution; zero-init applies before folding only.");
        using var _ = no_grad();
        norm.weight!.zero_();
    }
}
