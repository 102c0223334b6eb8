using static TorchSharp.torch;

namespace ResNeStBlocks.Layers;

/// <summary>
/// The attention gates (radix and Selective Kernel softmax, sigmoid gates) computed in float32 when the
/// activations are float16 or bfloat16, then cast back to the activations' dtype. Float32 and float64
/// activations take the plain path with no extra kernels.
/// </summary>
internal static class StableGates
{
    /// <summary>Softmax over <paramref name="dim"/>, accumulated and normalised in float32 for half-precision logits.</summary>
    public static Tensor Softmax(Tensor logits, long dim) =>
        IsHalf(logits.dtype) ? logits.softmax(dim, ScalarType.Float32).to(logits.dtype) : logits.softmax(dim);

    /// <summary>Sigmoid (in place for full-precision logits), computed in float32 for half-precision logits.</summary>
    public static Tensor Sigmoid(Tensor logits) =>
        IsHalf(logits.dtype) ? logits.to(ScalarType.Float32).sigmoid_().to(logits.dtype) : logits.sigmoid_();

    private static bool IsHalf(ScalarType type) => type is ScalarType.Float16 or ScalarType.BFloat16;
}
