using System.Linq;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Testing;

/// <summary>Gives every BatchNorm non-trivial statistics and affine parameters, so eval mode is not the identity.</summary>
public static class RandomNorms
{
    public static void Randomize(nn.Module model, long seed)
    {
        var generator = new Generator((ulong)seed);
        using var _ = no_grad();
        foreach (var norm in model.modules().OfType<BatchNorm2d>())
        {
            long c = norm.weight!.shape[0];
            norm.weight.copy_(rand(c, generator: generator) + 0.5);
            norm.bias!.copy_(rand(c, generator: generator) - 0.5);
            norm.running_mean!.copy_((rand(c, generator: generator) - 0.5) * 0.2);
            norm.running_var!.copy_(rand(c, generator: generator) + 0.5);
        }
    }
}
