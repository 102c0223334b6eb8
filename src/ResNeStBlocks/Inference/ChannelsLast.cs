using System;
using System.Linq;
using ResNeStBlocks.Layers;
using static TorchSharp.torch;

namespace ResNeStBlocks.Inference;

/// <summary>
/// The channels-last (NHWC) memory layout for images, feature maps and convolution weights, which TorchSharp 0.107
/// has no API for. The shape stays <c>[N, C, H, W]</c>; only the strides change, so every operator and every layer
/// of this library accepts such tensors unchanged.
/// </summary>
/// <remarks>
/// <para>cuDNN's fastest float16 and bfloat16 convolutions (tensor cores) work on NHWC data; with NCHW tensors
/// libtorch inserts layout conversions around every convolution. When both the input and the convolution weights
/// are channels-last, libtorch's convolutions, BatchNorm, activations and pooling return channels-last outputs,
/// so the layout carries through the network without conversions. On the CPU it changes which kernels run, not
/// the results (equal within float32 rounding).</para>
/// <para>Convert the model before creating the optimizer or not: the parameters keep their identity (their
/// storage is replaced in place), so an existing optimizer still updates them.</para>
/// </remarks>
public static class ChannelsLast
{
    /// <summary>A copy of a 4-D tensor with channels-last strides and the same shape and values.</summary>
    /// <param name="tensor">A tensor <c>[N, C, H, W]</c> on any device.</param>
    /// <returns>A new tensor the caller owns (a copy even when <paramref name="tensor"/> is already channels-last).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="tensor"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="tensor"/> is not 4-D.</exception>
    public static Tensor ToChannelsLast(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.dim() != 4)
            throw new ArgumentException(
                $"Only 4-D tensors [N, C, H, W] have a channels-last layout, got shape [{string.Join(", ", tensor.shape)}].", nameof(tensor));
        using var nhwc = tensor.permute(0, 2, 3, 1);
        using var dense = nhwc.contiguous();
        return dense.permute(0, 3, 1, 2);
    }

    /// <summary>
    /// Whether a tensor's strides are channels-last (PyTorch <c>is_contiguous(memory_format=torch.channels_last)</c>):
    /// dense with the channel stride 1; strides of dimensions of size 1 do not matter.
    /// </summary>
    /// <param name="tensor">Any tensor.</param>
    /// <returns>False for tensors that are not 4-D.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="tensor"/> is null.</exception>
    public static bool IsChannelsLast(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return TensorLayout.IsChannelsLast(tensor);
    }

    /// <summary>
    /// Gives every 4-D parameter of <paramref name="model"/> (the convolution weights) channels-last strides, in
    /// place. Feed the model channels-last inputs (<see cref="ToChannelsLast(Tensor)"/>) to keep the layout through it.
    /// </summary>
    /// <typeparam name="TModule">The model's type.</typeparam>
    /// <param name="model">Any module; its parameters may be on any device and of any floating-point dtype.</param>
    /// <returns><paramref name="model"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    public static TModule ToChannelsLast<TModule>(TModule model) where TModule : nn.Module
    {
        ArgumentNullException.ThrowIfNull(model);
        using var noGrad = no_grad();
        foreach (var parameter in model.parameters().Where(p => p.dim() == 4 && !IsChannelsLast(p)))
        {
            // set_ swaps the storage and strides under the same tensor, so the Parameter object (and any optimizer
            // or state dict that holds it) stays the same. It returns the parameter itself, which is not ours to dispose.
            using var nhwc = ToChannelsLast(parameter);
            parameter.set_(nhwc);
        }
        return model;
    }
}
