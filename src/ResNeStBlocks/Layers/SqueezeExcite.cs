using System;
using ResNeStBlocks.Description;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Layers;

/// <summary>
/// Squeeze-and-Excitation (Hu et al., 2018; timm <c>SEModule</c>): global average pooling, a 1x1
/// reduction with bias, ReLU, a 1x1 expansion with bias and a sigmoid gate that rescales each channel.
/// State-dict keys: <c>fc1.weight</c>, <c>fc1.bias</c>, <c>fc2.weight</c>, <c>fc2.bias</c>.
/// </summary>
/// <remarks>Kernels per forward: mean, conv, relu, conv, sigmoid, mul (6).</remarks>
public sealed class SqueezeExcite : nn.Module<Tensor, Tensor>, IDescribedModule
{
    private readonly Conv2d fc1;
    private readonly Conv2d fc2;

    /// <summary>Creates a Squeeze-and-Excitation layer.</summary>
    /// <param name="channels">Input and output channels.</param>
    /// <param name="reductionRatio">Reduced channels as a fraction of <paramref name="channels"/> (timm <c>rd_ratio</c>, default 1/16).</param>
    /// <param name="reductionDivisor">Reduced channels are rounded to a multiple of this (timm <c>rd_divisor</c>; rounding never drops below it).</param>
    /// <param name="reducedChannels">Explicit reduced channels (timm <c>rd_channels</c>); overrides the ratio when set.</param>
    /// <exception cref="ArgumentException">A count is not positive or the ratio is not in (0, 1].</exception>
    public SqueezeExcite(int channels, double reductionRatio = 1.0 / 16, int reductionDivisor = 8, int? reducedChannels = null)
        : base(nameof(SqueezeExcite))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        Guard.Positive(channels, nameof(channels));
        Guard.Positive(reductionDivisor, nameof(reductionDivisor));
        Guard.Reduction(reductionRatio, reducedChannels);

        Channels = channels;
        ReducedChannels = reducedChannels ?? ChannelMath.MakeDivisible(channels * reductionRatio, reductionDivisor, roundLimit: 0.0);
        fc1 = nn.Conv2d(channels, ReducedChannels, 1, bias: true);
        fc2 = nn.Conv2d(ReducedChannels, channels, 1, bias: true);
        RegisterComponents();
    }

    /// <summary>Input and output channels.</summary>
    public int Channels { get; }

    /// <summary>Channels of the squeezed representation.</summary>
    public int ReducedChannels { get; }

    /// <summary>Rescales each channel of <paramref name="input"/> ([N, C, H, W]) by its learned gate.</summary>
    public override Tensor forward(Tensor input)
    {
        Guard.Image(input, Channels, nameof(SqueezeExcite), fc1.weight);
        using var scope = NewDisposeScope();
        var gate = StableGates.Sigmoid(fc2.call(fc1.call(input.mean(new long[] { 2, 3 }, keepdim: true)).relu_()));
        return (input * gate).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    GraphValue IDescribedModule.Describe(ForwardGraph graph, GraphValue input)
    {
        var hidden = graph.Convolution(fc1, graph.GlobalAveragePool(input), activation: Activation.Relu);
        return graph.Mul(input, graph.Sigmoid(graph.Convolution(fc2, hidden)));
    }
}
