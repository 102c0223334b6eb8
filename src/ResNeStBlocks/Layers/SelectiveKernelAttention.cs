using System;
using ResNeStBlocks.Description;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Layers;

/// <summary>
/// The attention of a Selective Kernel unit (timm <c>SelectiveKernelAttn</c>): from the pooled sum of the
/// branches, a 1x1 reduction, BatchNorm, ReLU and a 1x1 selection that yields per-branch, per-channel
/// weights normalised with a softmax across branches.
/// State-dict keys: <c>fc_reduce.weight</c>, <c>bn.*</c>, <c>fc_select.weight</c>.
/// </summary>
internal sealed class SelectiveKernelAttention : FoldableModule
{
    private readonly Conv2d fc_reduce;
    private BatchNorm2d? bn;
    private readonly Conv2d fc_select;

    /// <summary>Creates the attention for <paramref name="numPaths"/> branches of <paramref name="channels"/> channels.</summary>
    /// <param name="channels">Channels of each branch.</param>
    /// <param name="numPaths">Number of branches (kernels).</param>
    /// <param name="attentionChannels">Channels of the reduced representation.</param>
    public SelectiveKernelAttention(int channels, int numPaths, int attentionChannels)
        : base(nameof(SelectiveKernelAttention))
    {
        Guard.Positive(channels, nameof(channels));
        Guard.Positive(numPaths, nameof(numPaths));
        Guard.Positive(attentionChannels, nameof(attentionChannels));
        Channels = channels;
        NumPaths = numPaths;
        fc_reduce = nn.Conv2d(channels, attentionChannels, 1, bias: false);
        bn = nn.BatchNorm2d(attentionChannels);
        fc_select = nn.Conv2d(attentionChannels, channels * numPaths, 1, bias: false);
        RegisterComponents();
    }

    /// <summary>Channels of each branch.</summary>
    public int Channels { get; }

    /// <summary>Number of branches.</summary>
    public int NumPaths { get; }

    /// <summary>The eval-mode forward: reduce, BatchNorm, ReLU, select, softmax across branches, as [N, paths, C, 1, 1].</summary>
    private protected override GraphValue DescribeForward(ForwardGraph graph, GraphValue input)
    {
        var logits = graph.Convolution(fc_select, graph.Convolution(fc_reduce, input, bn, Activation.Relu));
        var weights = graph.Softmax(graph.Reshape(logits, 0, NumPaths, Channels), 1);
        return graph.Reshape(weights, 0, NumPaths, Channels, 1, 1);
    }

    /// <summary>
    /// Computes branch weights from pooled branch descriptors.
    /// </summary>
    /// <param name="pooled">The channel descriptor summed over branches, [N, C, 1, 1].</param>
    /// <returns>Branch weights [N, paths, C, 1, 1] that sum to one across branches.</returns>
    public override Tensor forward(Tensor pooled)
    {
        Guard.Image(pooled, Channels, nameof(SelectiveKernelAttention), fc_reduce.weight);
        using var scope = NewDisposeScope();
        var logits = fc_select.call(bn.CallOrPass(fc_reduce.call(pooled)).relu_());
        return StableGates.Softmax(logits.view(logits.shape[0], NumPaths, Channels, 1, 1), 1).MoveToOuterDisposeScope();
    }
}
