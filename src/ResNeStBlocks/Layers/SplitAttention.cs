using System;
using ResNeStBlocks.Description;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Layers;

/// <summary>
/// Split-Attention convolution (Zhang et al., 2020; timm <c>SplitAttn</c>), radix-major: one grouped
/// convolution produces <c>radix</c> splits of every cardinal group, their sum is pooled and squeezed, and
/// a softmax across splits (a sigmoid when <c>radix == 1</c>) weights the splits before they are summed.
/// State-dict keys: <c>conv.weight</c>, <c>bn0.*</c>, <c>fc1.weight/bias</c>, <c>bn1.*</c>, <c>fc2.weight/bias</c>.
/// </summary>
/// <remarks>
/// Splits are never materialised one by one: the convolution uses <c>groups * radix</c> groups, and the
/// splits are views of its output. Kernels per forward in eval mode with norm: for radix 2, conv, bn, relu,
/// mean, sum, conv, bn, relu, conv, softmax, lerp (11: the weighted sum of two splits whose weights sum to
/// one is <c>s1 + w0 * (s0 - s1)</c>, one pass that reads each split once and writes the output once, with no
/// [N, radix, C, H, W] temporary); for radix &gt; 2, the same up to the softmax, then mul and sum (12; a
/// per-split in-place addcmul runs the backward slower at radix 4); for radix 1,
/// conv, bn, relu, mean, conv, bn, relu, conv, sigmoid, mul (10). With cardinality &gt; 1 and radix &gt; 1
/// one more small kernel copies the [N, radix, C] weights into radix-major order.
/// </remarks>
public sealed class SplitAttention : FoldableModule
{
    private readonly Conv2d conv;
    private BatchNorm2d? bn0;
    private readonly nn.Module<Tensor, Tensor>? drop;
    private readonly Conv2d fc1;
    private BatchNorm2d? bn1;
    private readonly Conv2d fc2;

    /// <summary>Creates a Split-Attention convolution.</summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels; defaults to <paramref name="inChannels"/>.</param>
    /// <param name="options">Kernel, stride, groups, radix and attention width; <c>null</c> for <see cref="SplitAttentionOptions.Default"/>.</param>
    /// <param name="dropLayer">An optional regulariser (such as DropBlock) applied after the first norm; the layer owns it.</param>
    /// <exception cref="ArgumentException">Channels are not divisible by <c>groups * radix</c> or a count is not positive; nothing was allocated.</exception>
    public SplitAttention(int inChannels, int? outChannels = null, SplitAttentionOptions? options = null, nn.Module<Tensor, Tensor>? dropLayer = null)
        : base(nameof(SplitAttention))
    {
        options ??= SplitAttentionOptions.Default;
        int output = outChannels ?? inChannels;
        int attentionChannels = options.AttentionChannels(inChannels, output);
        InChannels = inChannels;
        OutChannels = output;
        Radix = options.Radix;
        Cardinality = options.Groups;
        AttentionChannels = attentionChannels;
        int mid = output * Radix;
        conv = nn.Conv2d(inChannels, mid, options.KernelSize, stride: options.Stride, padding: options.Padding ?? options.KernelSize / 2,
            dilation: options.Dilation, groups: Cardinality * Radix, bias: false);
        bn0 = options.UseNorm ? nn.BatchNorm2d(mid) : null;
        drop = dropLayer;
        fc1 = nn.Conv2d(output, attentionChannels, 1, groups: Cardinality, bias: true);
        bn1 = options.UseNorm ? nn.BatchNorm2d(attentionChannels) : null;
        fc2 = nn.Conv2d(attentionChannels, mid, 1, groups: Cardinality, bias: true);
        RegisterComponents();
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Splits per cardinal group.</summary>
    public int Radix { get; }

    /// <summary>Cardinal groups.</summary>
    public int Cardinality { get; }

    /// <summary>Width of the attention's hidden layer.</summary>
    public int AttentionChannels { get; }

    /// <summary>
    /// The eval-mode forward: the splits are Split outputs of the grouped convolution, the pooled splits are summed
    /// through a [N, radix, C] view, and fc2's cardinal-group-major logits get their softmax over radix and a
    /// transpose to radix-major before weighting the splits (radix 1: a sigmoid gate).
    /// </summary>
    private protected override GraphValue DescribeForward(ForwardGraph graph, GraphValue input)
    {
        var x = graph.Convolution(conv, input, bn0);
        if (drop is not null) x = graph.Call(drop, x);
        x = graph.Relu(x);
        var pooled = graph.GlobalAveragePool(x);
        if (Radix > 1)
            pooled = graph.Reshape(graph.ReduceSum(graph.Reshape(pooled, 0, Radix, OutChannels), 1), 0, OutChannels, 1, 1);
        var logits = graph.Convolution(fc2, graph.Convolution(fc1, pooled, bn1, Activation.Relu));
        if (Radix == 1)
            return graph.Mul(x, graph.Sigmoid(logits));
        var perGroup = graph.Softmax(graph.Reshape(logits, 0, Cardinality, Radix, OutChannels / Cardinality), 2);
        var weights = graph.Reshape(graph.Transpose(perGroup, 0, 2, 1, 3), 0, Radix * OutChannels, 1, 1);
        return BranchMixing.DescribeWeightedSum(graph, graph.Split(x, Radix), weights);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        Guard.Image(input, InChannels, nameof(SplitAttention), conv.weight);
        using var scope = NewDisposeScope();
        var x = conv.call(input);
        x = drop.CallOrPass(bn0.CallOrPass(x)).relu_();

        long batch = x.shape[0], height = x.shape[2], width = x.shape[3];
        if (Radix == 1)
        {
            var gate = StableGates.Sigmoid(Attention(x.mean(new long[] { 2, 3 }, keepdim: true)));
            return (x * gate).MoveToOuterDisposeScope();
        }

        var splits = x.view(batch, Radix, OutChannels, height, width);
        // Pool each split first, then add the small [N, radix, C] means: one pass over the activations.
        var pooled = splits.mean(new long[] { 3, 4 }).sum(1).view(batch, OutChannels, 1, 1);
        // fc2 emits cardinal-group-major logits [N, groups, radix, C / groups]; softmax across radix, then
        // reorder to radix-major [N, radix, C] to match the splits (a view when groups == 1).
        var logits = Attention(pooled).view(batch, Cardinality, Radix, OutChannels / Cardinality);
        var weights = StableGates.Softmax(logits, 2)
            .transpose(1, 2)
            .reshape(batch, Radix, OutChannels, 1, 1);
        // Two splits whose weights sum to one mix as s1 + w0 * (s0 - s1): one pass, no [N, radix, C, H, W] product.
        var output = Radix == 2
            ? splits.select(1, 1).lerp(splits.select(1, 0), weights.select(1, 0))
            : WeightedSum(splits, weights, TensorLayout.IsChannelsLast(x));
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Sums the splits [N, radix, C, H, W] weighted by [N, radix, C, 1, 1]. A reduction writes a fresh NCHW tensor,
    /// so for channels-last activations it runs over [N, H, W, radix, C] instead, which is then contiguous, and the
    /// result keeps the NHWC layout.
    /// </summary>
    private static Tensor WeightedSum(Tensor splits, Tensor weights, bool channelsLast)
    {
        if (!channelsLast)
            return (splits * weights).sum(1);
        using var scope = NewDisposeScope();
        var sum = (splits.permute(0, 3, 4, 1, 2) * weights.permute(0, 3, 4, 1, 2)).sum(3);
        return sum.permute(0, 3, 1, 2).MoveToOuterDisposeScope();
    }

    private Tensor Attention(Tensor pooled)
    {
        return fc2.call(bn1.CallOrPass(fc1.call(pooled)).relu_());
    }
}
