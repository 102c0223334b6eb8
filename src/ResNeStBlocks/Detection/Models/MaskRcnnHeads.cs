using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Description;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// The mask head of Mask R-CNN (torchvision's <c>MaskRCNNHeads</c>): 3x3 convolutions on the 14x14 pooled boxes, each
/// followed by ReLU, with a bias (v1) or with BatchNorm2d (v2).
/// </summary>
/// <remarks>Keys (torchvision 0.14): <c>{i}.0.weight</c>, and <c>{i}.0.bias</c> (v1) or <c>{i}.1.*</c> (v2).
/// Convolutions: Kaiming normal (fan out), biases zero.</remarks>
public sealed class MaskRcnnHeads : nn.Module<Tensor, Tensor>, IDescribedModule
{
    private readonly Sequential[] convolutions;
    private readonly long dilation;

    /// <summary>Creates the head.</summary>
    /// <param name="inChannels">Channels of a pooled box (256).</param>
    /// <param name="layers">Channels of each convolution (256 four times).</param>
    /// <param name="dilation">Dilation (and padding) of the convolutions (1).</param>
    /// <param name="batchNorm">BatchNorm2d after each convolution (v2), instead of a bias.</param>
    public MaskRcnnHeads(int inChannels, IReadOnlyList<int> layers, int dilation = 1, bool batchNorm = false) : base(nameof(MaskRcnnHeads))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        ArgumentNullException.ThrowIfNull(layers);
        Guard.Positive(inChannels, nameof(inChannels));
        Guard.Positive(dilation, nameof(dilation));
        if (layers.Count == 0)
            throw new ArgumentException("layers must hold at least one convolution's channels (torchvision: 256 four times).", nameof(layers));
        convolutions = new Sequential[layers.Count];
        int channels = inChannels;
        for (int i = 0; i < layers.Count; i++)
        {
            Guard.Positive(layers[i], nameof(layers));
            convolutions[i] = ConvUnits.ConvNormRelu(channels, layers[i], 3, dilation, batchNorm);
            register_module($"{i}", convolutions[i]);
            channels = layers[i];
        }
        OutChannels = channels;
        this.dilation = dilation;
        ConvUnits.InitialiseKaimingFanOut(this);
    }

    /// <summary>Channels of the output (the last convolution's).</summary>
    public int OutChannels { get; }

    /// <summary>Applies the convolutions.</summary>
    /// <param name="input">[K, C, 14, 14] pooled boxes.</param>
    /// <returns>[K, OutChannels, 14, 14].</returns>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var scope = NewDisposeScope();
        var x = input;
        // Without oneDNN (switched off where it computes wrong results, see NativeRuntime) libtorch convolves on the CPU
        // by im2col, which spends more on unfolding than on its product at these sizes; oneDNN and CUDA convolve directly.
        bool shifted = x.device_type == DeviceType.CPU && Runtime.NativeRuntime.OneDnnEnabled != true;
        foreach (var unit in convolutions)
        {
            if (!shifted)
            {
                x = unit.call(x);
                continue;
            }
            var parts = unit.children().ToArray();
            var conv = (Conv2d)parts[0];
            x = ShiftedConvolution.Forward(x, conv.weight!, conv.bias, dilation);
            foreach (var rest in parts.Skip(1))
                x = ((nn.Module<Tensor, Tensor>)rest).call(x);
        }
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>Describes the eval-mode forward: each convolution with its norm (v2) and ReLU.</summary>
    /// <param name="graph">The graph being built.</param>
    /// <param name="input">[K, C, 14, 14] pooled boxes.</param>
    /// <returns>[K, OutChannels, 14, 14].</returns>
    public GraphValue Describe(ForwardGraph graph, GraphValue input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var x = input;
        foreach (var conv in convolutions)
            x = graph.Call(conv, x);
        return x;
    }

    /// <summary>Registers nothing: the constructor registered every child under torchvision's key.</summary>
    protected override void RegisterComponents()
    {
    }
}
