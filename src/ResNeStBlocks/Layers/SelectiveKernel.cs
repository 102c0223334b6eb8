using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Description;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Layers;

/// <summary>
/// Selective Kernel convolution (Li et al., 2019; timm <c>SelectiveKernel</c>): parallel branches with
/// different receptive fields, fused by a softmax attention over branches.
/// State-dict keys: <c>paths.{i}.conv.weight</c>, <c>paths.{i}.bn.*</c>, <c>attn.*</c>.
/// </summary>
/// <remarks>
/// With <c>keepThreeByThree</c> every branch is a 3x3 convolution whose dilation reproduces the
/// requested kernel's receptive field (<c>dilation * (k - 1) / 2</c>). Two branches are never stacked:
/// each is pooled on its own and the weighted sum reads them in place. Kernels per forward in eval mode
/// with two branches: 2 x (conv, bn, relu), 2 means, add, the attention (conv, bn, relu, conv, softmax),
/// lerp (15, with no stacked copy of the branches); with p != 2 branches,
/// 3p + p + (p - 1) + 5 + 3 (the weighted sum stacks the branches, multiplies and sums).
/// </remarks>
public sealed class SelectiveKernel : nn.Module<Tensor, Tensor>, IDescribedModule
{
    private readonly ModuleList<ConvNormAct> paths;
    private readonly SelectiveKernelAttention attn;
    private readonly bool splitInput;

    /// <summary>Creates a Selective Kernel convolution.</summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels; defaults to <paramref name="inChannels"/>.</param>
    /// <param name="kernelSizes">One odd kernel size (at least 3) per branch; defaults to [3, 5].</param>
    /// <param name="stride">Stride of every branch.</param>
    /// <param name="dilation">Base dilation of every branch.</param>
    /// <param name="groups">Convolution groups (capped at <paramref name="outChannels"/>, as timm does).</param>
    /// <param name="reductionRatio">Attention channels as a fraction of the output channels (timm <c>rd_ratio</c>).</param>
    /// <param name="reductionDivisor">Attention channels are rounded to a multiple of this (timm <c>rd_divisor</c>).</param>
    /// <param name="reducedChannels">Explicit attention channels (timm <c>rd_channels</c>).</param>
    /// <param name="keepThreeByThree">Use dilated 3x3 kernels in place of larger ones (timm <c>keep_3x3</c>).</param>
    /// <param name="splitInput">Give each branch its own slice of the input channels (timm <c>split_input</c>).</param>
    /// <param name="dropBlock">Creates the DropBlock each branch applies after its BatchNorm (timm <c>drop_layer</c>), or null.</param>
    /// <exception cref="ArgumentException">A kernel is even or below 3, or channels do not divide as required.</exception>
    public SelectiveKernel(int inChannels, int? outChannels = null, IReadOnlyList<int>? kernelSizes = null, int stride = 1,
        int dilation = 1, int groups = 1, double reductionRatio = 1.0 / 16, int reductionDivisor = 8, int? reducedChannels = null,
        bool keepThreeByThree = true, bool splitInput = true, Func<DropBlock>? dropBlock = null)
        : base(nameof(SelectiveKernel))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        Guard.Positive(inChannels, nameof(inChannels));
        int output = outChannels ?? inChannels;
        Guard.Positive(output, nameof(outChannels));
        var kernels = (kernelSizes ?? new[] { 3, 5 }).ToArray();
        if (kernels.Length < 1)
            throw new ArgumentException("kernelSizes must name at least one kernel.", nameof(kernelSizes));
        foreach (int k in kernels)
            if (k < 3 || k % 2 == 0)
                throw new ArgumentException($"kernelSizes must be odd and at least 3, got {k}.", nameof(kernelSizes));
        Guard.Positive(stride, nameof(stride));
        Guard.Positive(dilation, nameof(dilation));
        Guard.Positive(groups, nameof(groups));
        Guard.Positive(reductionDivisor, nameof(reductionDivisor));
        Guard.Reduction(reductionRatio, reducedChannels);

        int numPaths = kernels.Length;
        int[] dilations = keepThreeByThree
            ? kernels.Select(k => dilation * (k - 1) / 2).ToArray()
            : Enumerable.Repeat(dilation, numPaths).ToArray();
        if (keepThreeByThree)
            kernels = Enumerable.Repeat(3, numPaths).ToArray();

        if (splitInput)
            Guard.Divisible(inChannels, nameof(inChannels), numPaths, "the number of kernels");
        int pathInput = splitInput ? inChannels / numPaths : inChannels;
        int pathGroups = Math.Min(output, groups);
        Guard.Divisible(pathInput, splitInput ? "inChannels / number of kernels" : nameof(inChannels), pathGroups, nameof(groups));
        Guard.Divisible(output, nameof(outChannels), pathGroups, nameof(groups));

        InChannels = inChannels;
        OutChannels = output;
        NumPaths = numPaths;
        this.splitInput = splitInput;
        AttentionChannels = reducedChannels ?? ChannelMath.MakeDivisible(output * reductionRatio, reductionDivisor);
        paths = nn.ModuleList(kernels.Select((k, i) =>
            new ConvNormAct(pathInput, output, k, stride, dilations[i], pathGroups, dropBlock: dropBlock?.Invoke())).ToArray());
        attn = new SelectiveKernelAttention(output, numPaths, AttentionChannels);
        RegisterComponents();
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Number of branches.</summary>
    public int NumPaths { get; }

    /// <summary>Channels of the attention's reduced representation.</summary>
    public int AttentionChannels { get; }

    /// <summary>Runs every branch and mixes them with the learned per-channel branch weights.</summary>
    public override Tensor forward(Tensor input)
    {
        Guard.Image(input, InChannels, nameof(SelectiveKernel), paths[0].Weight);
        using var scope = NewDisposeScope();
        var inputs = splitInput ? input.chunk(NumPaths, 1) : Enumerable.Repeat(input, NumPaths).ToArray();
        var branches = paths.Select((path, i) => path.call(inputs[i])).ToArray();            // P x [N, C, H, W]
        var pooled = branches[0].mean(new long[] { 2, 3 }, keepdim: true);
        for (int i = 1; i < branches.Length; i++)
            pooled = pooled.add_(branches[i].mean(new long[] { 2, 3 }, keepdim: true), HeldScalars.One);   // [N, C, 1, 1]
        var weights = attn.call(pooled);                                                    // [N, P, C, 1, 1]
        // Two branches whose weights sum to one mix as b1 + w0 * (b0 - b1): one pass over each branch.
        var output = branches.Length == 2
            ? branches[1].lerp(branches[0], weights.select(1, 0))
            : (stack(branches, 1) * weights).sum(1);
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The eval-mode forward: each branch sees its own slice of the input (or all of it), the attention reads the sum of
    /// the pooled branches, and its per-branch weights mix them.
    /// </summary>
    GraphValue IDescribedModule.Describe(ForwardGraph graph, GraphValue input)
    {
        var inputs = splitInput ? graph.Split(input, NumPaths) : Enumerable.Repeat(input, NumPaths).ToArray();
        var branches = paths.Select((path, i) => graph.Call(path, inputs[i])).ToArray();
        var pooled = graph.GlobalAveragePool(branches[0]);
        for (int i = 1; i < branches.Length; i++)
            pooled = graph.Add(pooled, graph.GlobalAveragePool(branches[i]));
        var weights = graph.Reshape(graph.Call(attn, pooled), 0, NumPaths * OutChannels, 1, 1);
        return BranchMixing.DescribeWeightedSum(graph, branches, weights);
    }
}
