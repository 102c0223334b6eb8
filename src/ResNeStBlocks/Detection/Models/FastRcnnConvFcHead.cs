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
/// The box head of the v2 two-stage detectors (torchvision's <c>FastRCNNConvFCHead</c>): 3x3 convolutions (each with
/// BatchNorm, or with a bias without norm, then ReLU), flatten, then fully connected layers with ReLU.
/// </summary>
/// <remarks>Keys are torchvision's <c>nn.Sequential</c> indices: <c>{i}.0.weight</c> and <c>{i}.1.*</c> for each
/// convolution, then (index <c>convLayers.Count</c> is the flatten) <c>{j}.weight</c>, <c>{j}.bias</c> for every other
/// index after it. Convolutions: Kaiming normal (fan out), biases zero; linear layers: PyTorch's default.</remarks>
public sealed class FastRcnnConvFcHead : nn.Module<Tensor, Tensor>, IDescribedModule
{
    private readonly Sequential[] convolutions;
    private readonly Linear[] fullyConnected;

    /// <summary>Creates the head.</summary>
    /// <param name="inChannels">Channels of a pooled box (256).</param>
    /// <param name="resolution">Side of a pooled box (7).</param>
    /// <param name="convLayers">Channels of each convolution (v2: 256 four times).</param>
    /// <param name="fcLayers">Width of each fully connected layer (v2: 1024).</param>
    /// <param name="batchNorm">BatchNorm2d after each convolution (v2), instead of a bias.</param>
    public FastRcnnConvFcHead(int inChannels, int resolution, IReadOnlyList<int> convLayers, IReadOnlyList<int> fcLayers, bool batchNorm = true)
        : base(nameof(FastRcnnConvFcHead))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        ArgumentNullException.ThrowIfNull(convLayers);
        ArgumentNullException.ThrowIfNull(fcLayers);
        Guard.Positive(inChannels, nameof(inChannels));
        Guard.Positive(resolution, nameof(resolution));
        if (fcLayers.Count == 0)
            throw new ArgumentException("fcLayers must hold at least one width (v2: 1024): the predictor reads the last one.", nameof(fcLayers));
        foreach (int c in convLayers.Concat(fcLayers))
            Guard.Positive(c, nameof(convLayers));
        convolutions = new Sequential[convLayers.Count];
        int channels = inChannels;
        for (int i = 0; i < convLayers.Count; i++)
        {
            convolutions[i] = ConvUnits.ConvNormRelu(channels, convLayers[i], 3, 1, batchNorm);
            register_module($"{i}", convolutions[i]);
            channels = convLayers[i];
        }
        fullyConnected = new Linear[fcLayers.Count];
        int width = channels * resolution * resolution;
        for (int j = 0; j < fcLayers.Count; j++)
        {
            fullyConnected[j] = nn.Linear(width, fcLayers[j]);
            // Sequential indices: the convolutions, the flatten, then a linear layer and its ReLU each.
            register_module($"{convLayers.Count + 1 + 2 * j}", fullyConnected[j]);
            width = fcLayers[j];
        }
        OutChannels = width;
        ConvUnits.InitialiseKaimingFanOut(this);
    }

    /// <summary>Width of the output (the last fully connected layer's).</summary>
    public int OutChannels { get; }

    /// <summary>Applies the head.</summary>
    /// <param name="input">[K, C, h, w] pooled boxes.</param>
    /// <returns>[K, OutChannels].</returns>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var scope = NewDisposeScope();
        var x = input;
        foreach (var conv in convolutions)
            x = conv.call(x);
        x = x.flatten(1);
        foreach (var fc in fullyConnected)
            x = nn.functional.relu(fc.call(x));
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>Describes the eval-mode forward: the convolutions (with their norms and ReLUs), flatten, each fully connected layer with ReLU.</summary>
    /// <param name="graph">The graph being built.</param>
    /// <param name="input">[K, C, h, w] pooled boxes.</param>
    /// <returns>[K, OutChannels].</returns>
    public GraphValue Describe(ForwardGraph graph, GraphValue input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var x = input;
        foreach (var conv in convolutions)
            x = graph.Call(conv, x);
        x = graph.Flatten(x);
        foreach (var fc in fullyConnected)
            x = graph.Relu(graph.Linear(fc, x));
        return x;
    }

    /// <summary>Registers nothing: the constructor registered every child under torchvision's key.</summary>
    protected override void RegisterComponents()
    {
    }
}
