using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Testing;

/// <summary>Gives every BatchNorm non-trivial statistics and affine parameters, so eval mode is not the identity.</summary>
public static class RandomNorms
{
    public static void Randomize(nn.Module model, long seed)
    {
        // Held scalars, as in the library: a temporary one (rand(c) + 0.5) can be freed by the finalizer thread during
        // the native call (an ExternalException now and then under the suite's GC pressure).
        var generator = new Generator((ulong)seed);
        using var _ = no_grad();
        using var spread = 0.2.ToScalar();
        foreach (var norm in model.modules().OfType<BatchNorm2d>())
        {
            long c = norm.weight!.shape[0];
            norm.weight.copy_(rand(c, generator: generator).add_(HeldScalars.Half, HeldScalars.One));
            norm.bias!.copy_(rand(c, generator: generator).sub_(HeldScalars.Half));
            norm.running_mean!.copy_(rand(c, generator: generator).sub_(HeldScalars.Half).mul_(spread));
            norm.running_var!.copy_(rand(c, generator: generator).add_(HeldScalars.Half, HeldScalars.One));
        }
    }
}
