using static TorchSharp.torch;

namespace ResNeStBlocks.Training;

/// <summary>What the library's optimizer states do alike with their tensors.</summary>
internal static class StateTensors
{
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
