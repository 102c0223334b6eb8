using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>The GroupNorm of the one-stage heads (RetinaNet v2, FCOS), initialised as PyTorch's.</summary>
internal static class HeadGroupNorm
{
    /// <summary>GroupNorm(32, channels) with weight 1 and bias 0.</summary>
    public static GroupNorm Create(int channels)
    {
        var norm = nn.GroupNorm(32, channels);
        // TorchSharp 0.107's GroupNorm can leave its affine parameters uninitialised (NaN seen); PyTorch's start at 1 and 0.
        using (no_grad())
        {
            nn.init.ones_(norm.weight!);
            nn.init.zeros_(norm.bias!);
        }
        return norm;
    }
}
