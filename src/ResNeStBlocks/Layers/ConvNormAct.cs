using System;
using ResNeStBlocks.Description;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Layers;

/// <summary>
/// Convolution without bias, BatchNorm, an optional regulariser (DropBlock), then optionally ReLU (timm <c>ConvNormAct</c>).
/// State-dict keys: <c>conv.weight</c>, <c>bn.*</c>. Padding keeps the convolution centred.
/// </summary>
public sealed class ConvNormAct : FoldableModule
{
    private readonly Conv2d conv;
    private BatchNorm2d? bn;
    private readonly DropBlock? drop;
    private readonly bool applyActivation;

    /// <summary>Creates a convolution + BatchNorm (+ ReLU) unit.</summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="kernelSize">Kernel size (square).</param>
    /// <param name="stride">Stride.</param>
    /// <param name="dilation">Dilation.</param>
    /// <param name="groups">Convolution groups; must divide both channel counts.</param>
    /// <param name="applyActivation">Whether ReLU follows the BatchNorm.</param>
    /// <param name="dropBlock">A DropBlock applied between the BatchNorm and the activation (timm's <c>drop_layer</c>), or null; the unit owns it.</param>
    public ConvNormAct(int inChannels, int outChannels, int kernelSize = 1, int stride = 1, int dilation = 1, int groups = 1, bool applyActivation = true,
        DropBlock? dropBlock = null)
        : base(nameof(ConvNormAct))
    {
        Guard.Positive((inChannels, nameof(inChannels)), (outChannels, nameof(outChannels)), (kernelSize, nameof(kernelSize)),
            (stride, nameof(stride)), (dilation, nameof(dilation)), (groups, nameof(groups)));
        Guard.Divisible(inChannels, nameof(inChannels), groups, nameof(groups));
        Guard.Divisible(outChannels, nameof(outChannels), groups, nameof(groups));
        InChannels = inChannels;
        this.applyActivation = applyActivation;
        conv = nn.Conv2d(inChannels, outChannels, kernelSize, stride: stride,
            padding: ChannelMath.SamePadding(kernelSize, stride, dilation), dilation: dilation, groups: groups, bias: false);
        bn = nn.BatchNorm2d(outChannels);
        drop = dropBlock;
        RegisterComponents();
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>The convolution's weight: the dtype and device inputs must have.</summary>
    internal Tensor? Weight => conv.weight;

    /// <summary>The BatchNorm layer (its weight is zeroed by zero-init of a residual branch).</summary>
    /// <exception cref="InvalidOperationException">The BatchNorm has been folded into the convolution.</exception>
    public BatchNorm2d Norm => bn ?? throw new InvalidOperationException("The BatchNorm of this ConvNormAct has been folded into its convolution.");

    /// <summary>The eval-mode forward: convolution, BatchNorm, DropBlock, activation.</summary>
    private protected override GraphValue DescribeForward(ForwardGraph graph, GraphValue input)
    {
        var x = graph.Convolution(conv, input, bn);
        if (drop is not null) x = graph.Call(drop, x);
        return applyActivation ? graph.Relu(x) : x;
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        Guard.Image(input, InChannels, nameof(ConvNormAct), conv.weight);
        using var scope = NewDisposeScope();
        var output = drop.CallOrPass(bn.CallOrPass(conv.call(input)));
        if (applyActivation)
            output = output.relu_();
        return output.MoveToOuterDisposeScope();
    }
}
