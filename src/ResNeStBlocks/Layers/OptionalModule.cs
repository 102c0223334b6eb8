using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Layers;

/// <summary>Calls a module that may be absent (not configured, or a BatchNorm folded away for inference).</summary>
internal static class OptionalModule
{
    /// <summary>
    /// Returns <c>module.call(input)</c>, or <paramref name="input"/> itself when there is no module. BatchNorms (alone or
    /// in a sequence) run through <see cref="BatchNormCounter"/>, which keeps a temporary Scalar out of their training forward.
    /// </summary>
    public static Tensor CallOrPass(this nn.Module<Tensor, Tensor>? module, Tensor input) =>
        module is null ? input : BatchNormCounter.Call(module, input);
}
