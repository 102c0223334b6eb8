using System;
using System.Collections.Generic;
using ResNeStBlocks.Description;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// RetinaNet's box subnet (torchvision's <c>RetinaNetRegressionHead</c>): four 3x3 convolutions with ReLU (GroupNorm in
/// v2), then a 3x3 convolution giving four deltas per anchor (coder weights 1, 1, 1, 1).
/// </summary>
/// <remarks>Keys: <c>conv.{0..3}.*</c>, <c>bbox_reg.weight</c>, <c>bbox_reg.bias</c>.</remarks>
public sealed class RetinaNetRegressionHead : nn.Module<IReadOnlyList<Tensor>, Tensor[]>
{
    private readonly Sequential conv;
    private readonly Conv2d bboxReg;

    /// <summary>Creates the head with torchvision's initialisation (weights normal with standard deviation 0.01, biases zero).</summary>
    /// <param name="inChannels">Channels of every pyramid level.</param>
    /// <param name="numAnchors">Anchors per location.</param>
    /// <param name="groupNorm">GroupNorm(32) after each convolution of the stack (v2).</param>
    public RetinaNetRegressionHead(int inChannels, int numAnchors, bool groupNorm = false) : base(nameof(RetinaNetRegressionHead))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        Guard.Positive((inChannels, nameof(inChannels)), (numAnchors, nameof(numAnchors)));
        conv = RetinaNetHeadStack.Create(inChannels, groupNorm);
        bboxReg = nn.Conv2d(inChannels, numAnchors * 4, 3, padding: 1);
        using (no_grad())
        {
            nn.init.normal_(bboxReg.weight!, std: 0.01);
            nn.init.zeros_(bboxReg.bias!);
        }
        register_module("conv", conv);
        register_module("bbox_reg", bboxReg);
    }

    /// <summary>Deltas of every anchor of every level.</summary>
    /// <param name="levels">The pyramid's levels, [N, C, H, W] each.</param>
    /// <returns>Per level, [N, H * W * A, 4].</returns>
    public override Tensor[] forward(IReadOnlyList<Tensor> levels)
    {
        ArgumentNullException.ThrowIfNull(levels);
        var result = new Tensor[levels.Count];
        for (int i = 0; i < levels.Count; i++)
        {
            using var scope = NewDisposeScope();
            result[i] = HeadOutputs.PermuteAndFlatten(bboxReg.call(conv.call(levels[i])), 4).MoveToOuterDisposeScope();
        }
        return result;
    }

    /// <summary>Describes the eval-mode forward (inside <see cref="ForwardGraph.Within{T}(nn.Module, Func{T})"/> for this head).</summary>
    /// <returns>Per level, [N, H * W * A, 4].</returns>
    internal GraphValue[] DescribeLevels(ForwardGraph graph, IReadOnlyList<GraphValue> levels)
    {
        var result = new GraphValue[levels.Count];
        for (int i = 0; i < levels.Count; i++)
            result[i] = HeadOutputs.DescribePermuteAndFlatten(graph, graph.Convolution(bboxReg, graph.Call(conv, levels[i])), 4);
        return result;
    }

    /// <summary>Registers nothing: the constructor registered every child under torchvision's key.</summary>
    protected override void RegisterComponents()
    {
    }
}
