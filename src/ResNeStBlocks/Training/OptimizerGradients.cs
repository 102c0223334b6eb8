using System.Collections.Generic;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Training;

/// <summary>What the library's optimizers do alike with gradients and state tensors.</summary>
internal static class OptimizerGradients
{
    /// <summary>Sets every parameter's gradient to none, as PyTorch's <c>zero_grad()</c> does by default; the next backward
    /// pass allocates fresh gradients instead of adding to zeroed ones.</summary>
    public static void Clear(IEnumerable<ParamGroup> groups)
    {
        foreach (var group in groups)
        {
            foreach (var parameter in group.Parameters)
                parameter.grad = null;
        }
    }

    /// <summary><paramref name="tensor"/> on <paramref name="device"/>, releasing the old copy when it moved.</summary>
    public static Tensor? Moved(Tensor? tensor, Device device)
    {
        if (tensor is null || (tensor.device_type == device.type && tensor.device_index == device.index))
            return tensor;
        var moved = tensor.to(device).DetachFromDisposeScope();
        tensor.Dispose();
        return moved;
    }
}
