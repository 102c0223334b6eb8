using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Benchmarks.Flat;

/// <summary>
/// Gives every BatchNorm random affine parameters and running statistics (timm's initialisation zeroes the
/// last norm of each block, which would make a parity check of the residual branches vacuous).
/// </summary>
public static class WeightRandomizer
{
    /// <summary>Randomises the BatchNorms of <paramref name="module"/> with a fixed seed.</summary>
    public static void RandomizeNorms(nn.Module module, long seed = 7)
    {
        using var _ = no_grad();
        var generator = new Generator((ulong)seed);
        foreach (var (_, child) in module.named_modules())
        {
            if (child is not BatchNorm2d bn)
                continue;
            bn.weight!.uniform_(0.5, 1.5, generator);
            bn.bias!.uniform_(-0.2, 0.2, generator);
            bn.running_mean!.uniform_(-0.2, 0.2, generator);
            bn.running_var!.uniform_(0.5, 1.5, generator);
        }
    }
}
