using static TorchSharp.torch;

namespace ResNeStBlocks.Layers;

/// <summary>
/// Reads a tensor's memory layout from its strides. Layers need it to keep channels-last activations
/// channels-last; the public conversions live in <c>Inference.ChannelsLast</c>, which depends on Layers, not
/// the other way round.
/// </summary>
internal static class TensorLayout
{
    /// <summary>
    /// Whether a 4-D tensor is dense with channel stride 1 (PyTorch's channels_last contiguity); strides of
    /// dimensions of size 1 do not matter. False for tensors that are not 4-D.
    /// </summary>
    internal static bool IsChannelsLast(Tensor tensor)
    {
        if (tensor.dim() != 4)
            return false;
        long[] shape = tensor.shape, strides = tensor.stride();
        long expected = 1;
        foreach (int d in new[] { 1, 3, 2, 0 })
        {
            if (shape[d] == 1)
                continue;
            if (strides[d] != expected)
                return false;
            expected *= shape[d];
        }
        return true;
    }
}
