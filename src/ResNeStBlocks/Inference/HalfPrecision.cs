using System;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Inference;

/// <summary>
/// Converts a network to bfloat16 or float16 for inference while keeping its numerically sensitive parts
/// in float32: <c>model.ToHalfPrecision(ScalarType.BFloat16)</c>.
/// </summary>
/// <remarks>
/// <para>What stays float32: every BatchNorm's statistics and affine parameters (libtorch normalises
/// half-precision activations with float32 parameters and returns the activations' dtype), and, inside the
/// layers, the radix softmax, the Selective Kernel softmax and the sigmoid gates, whose logits are cast up
/// to float32 and whose weights are cast back. Everything else (convolutions, the classifier) holds
/// <c>dtype</c> weights, and the network expects inputs of that dtype and returns logits of it.</para>
/// <para>Folding first (<c>model.FoldBatchNorm()</c>, in float32) and converting afterwards
/// is also sound: the folded scales and shifts are rounded once into the convolutions' weights and biases.</para>
/// <para>Accuracy, measured against float32 on the CPU on this library's tests (the tiny timm fixture networks
/// with their seeded weights and randomised BatchNorm statistics, and ResNeSt-14 with random weights at 96x96):
/// the relative L2 error of the logits, <c>|half - fp32|_2 / |fp32|_2</c>, was 4e-3 to 1.5e-2 for bfloat16
/// and 5e-4 to 1.9e-3 for float16; the tests bound it by 3e-2 and 5e-3. bfloat16 keeps
/// float32's range with 8 significant bits; float16 has 11 bits but overflows above 65504, so prefer bfloat16
/// for networks whose activations are large. libtorch runs both on the CPU, but usually slower than float32
/// there: half precision pays off on GPUs.</para>
/// </remarks>
public static class HalfPrecision
{
    /// <summary>
    /// Switches <paramref name="model"/> to eval mode and converts it in place: BatchNorm layers to float32,
    /// every other parameter and floating-point buffer to <paramref name="dtype"/>.
    /// </summary>
    /// <typeparam name="TModule">The model's type.</typeparam>
    /// <param name="model">A network or block whose parameters live in leaf modules (all of this library's do).</param>
    /// <param name="dtype"><see cref="ScalarType.BFloat16"/> or <see cref="ScalarType.Float16"/>.</param>
    /// <returns><paramref name="model"/>, converted.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is not a half-precision type, or a module of
    /// <paramref name="model"/> holds parameters beside child modules (such parameters cannot be converted apart
    /// from their children); nothing was converted.</exception>
    public static TModule ToHalfPrecision<TModule>(this TModule model, ScalarType dtype = ScalarType.BFloat16) where TModule : nn.Module
    {
        ArgumentNullException.ThrowIfNull(model);
        if (dtype is not (ScalarType.BFloat16 or ScalarType.Float16))
            throw new ArgumentException($"dtype must be BFloat16 or Float16, got {dtype}.", nameof(dtype));
        var modules = model.modules().Prepend(model).Distinct().ToList();
        var mixed = modules.FirstOrDefault(m => m.children().Any() && (m.named_parameters(false).Any() || m.named_buffers(false).Any()));
        if (mixed is not null)
            throw new ArgumentException(
                $"{mixed.GetName()} holds parameters or buffers beside child modules; only leaf modules can be converted.", nameof(model));

        model.eval();
        foreach (var leaf in modules.Where(m => !m.children().Any()))
        {
            if (leaf is BatchNorm2d or BatchNorm1d or BatchNorm3d)
                leaf.to(ScalarType.Float32);
            else
                leaf.to(dtype);
        }
        return model;
    }
}
