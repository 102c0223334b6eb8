using System;
using System.Collections.Generic;
using ResNeStBlocks.Description;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// RetinaNet's classification subnet (torchvision's <c>RetinaNetClassificationHead</c>): four 3x3 convolutions with ReLU
/// (GroupNorm in v2), then a 3x3 convolution giving one logit per anchor and class.
/// </summary>
/// <remarks>Keys: <c>conv.{0..3}.*</c>, <c>cls_logits.weight</c>, <c>cls_logits.bias</c>. The logits' bias starts at
/// <c>-log((1 - 0.01) / 0.01)</c>, the prior probability 0.01 of the paper.</remarks>
public sealed class RetinaNetClassificationHead : nn.Module<IReadOnlyList<Tensor>, Tensor[]>
{
    private readonly Sequential conv;
    private readonly Conv2d clsLogits;

    /// <summary>Creates the head with torchvision's initialisation.</summary>
    /// <param name="inChannels">Channels of every pyramid level.</param>
    /// <param name="numAnchors">Anchors per location.</param>
    /// <param name="numClasses">Classes (every one gets a sigmoid logit).</param>
    /// <param name="groupNorm">GroupNorm(32) after each convolution of the stack (v2).</param>
    public RetinaNetClassificationHead(int inChannels, int numAnchors, int numClasses, bool groupNorm = false) : base(nameof(RetinaNetClassificationHead))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        Guard.Positive((inChannels, nameof(inChannels)), (numAnchors, nameof(numAnchors)), (numClasses, nameof(numClasses)));
        conv = RetinaNetHeadStack.Create(inChannels, groupNorm);
        clsLogits = nn.Conv2d(inChannels, numAnchors * numClasses, 3, padding: 1);
        using (no_grad())
        {
            nn.init.normal_(clsLogits.weight!, std: 0.01);
            using Scalar priorBias = -Math.Log((1 - PriorProbability) / PriorProbability);
            nn.init.constant_(clsLogits.bias!, priorBias);
        }
        NumClasses = numClasses;
        NumAnchors = numAnchors;
        register_module("conv", conv);
        register_module("cls_logits", clsLogits);
    }

    /// <summary>The prior probability of the initial logits' bias (0.01).</summary>
    public const double PriorProbability = 0.01;

    /// <summary>Classes.</summary>
    public int NumClasses { get; }

    /// <summary>Anchors per location.</summary>
    public int NumAnchors { get; }

    /// <summary>Logits of every anchor of every level.</summary>
    /// <param name="levels">The pyramid's levels, [N, C, H, W] each.</param>
    /// <returns>Per level, [N, H * W * A, classes].</returns>
    public override Tensor[] forward(IReadOnlyList<Tensor> levels)
    {
        ArgumentNullException.ThrowIfNull(levels);
        var result = new Tensor[levels.Count];
        for (int i = 0; i < levels.Count; i++)
        {
            using var scope = NewDisposeScope();
            result[i] = HeadOutputs.PermuteAndFlatten(clsLogits.call(conv.call(levels[i])), NumClasses).MoveToOuterDisposeScope();
        }
        return result;
    }

    /// <summary>Describes the eval-mode forward (inside <see cref="ForwardGraph.Within{T}(nn.Module, Func{T})"/> for this head).</summary>
    /// <returns>Per level, [N, H * W * A, classes].</returns>
    internal GraphValue[] DescribeLevels(ForwardGraph graph, IReadOnlyList<GraphValue> levels)
    {
        var result = new GraphValue[levels.Count];
        for (int i = 0; i < levels.Count; i++)
            result[i] = HeadOutputs.DescribePermuteAndFlatten(graph, graph.Convolution(clsLogits, graph.Call(conv, levels[i])), NumClasses);
        return result;
    }

    /// <summary>Registers nothing: the constructor registered every child under torchvision's key.</summary>
    protected override void RegisterComponents()
    {
    }
}
