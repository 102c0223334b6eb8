using System;
using System.Collections.Generic;
using ResNeStBlocks.Description;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// FCOS's classification head (torchvision's <c>FCOSClassificationHead</c>): the tower, then a 3x3 convolution to one
/// logit per class and anchor, whose bias starts at <c>-log((1 - 0.01) / 0.01)</c> (prior probability 0.01).
/// Keys: <c>conv.*</c>, <c>cls_logits.*</c>.
/// </summary>
internal sealed class FcosClassificationHead : nn.Module<IReadOnlyList<Tensor>, Tensor>
{
    private const double PriorProbability = 0.01;
    private readonly Sequential conv;
    private readonly Conv2d clsLogits;

    public FcosClassificationHead(int inChannels, int numAnchors, int numClasses) : base(nameof(FcosClassificationHead))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        NumClasses = numClasses;
        conv = FcosHeadTower.Create(inChannels);
        clsLogits = nn.Conv2d(inChannels, numAnchors * numClasses, 3, padding: 1);
        using (no_grad())
        {
            nn.init.normal_(clsLogits.weight!, std: 0.01);
            using Scalar bias = -Math.Log((1 - PriorProbability) / PriorProbability);
            nn.init.constant_(clsLogits.bias!, bias);
        }
        register_module("conv", conv);
        register_module("cls_logits", clsLogits);
    }

    public int NumClasses { get; }

    /// <summary>[N, sum of H * W * A, K] logits, level after level.</summary>
    public override Tensor forward(IReadOnlyList<Tensor> levels)
    {
        using var scope = NewDisposeScope();
        var all = new Tensor[levels.Count];
        for (int i = 0; i < levels.Count; i++)
            all[i] = HeadOutputs.PermuteAndFlatten(clsLogits.call(conv.call(levels[i])), NumClasses);
        return cat(all, 1).MoveToOuterDisposeScope();
    }

    /// <summary>Describes the eval-mode forward per level: [N, H * W * A, K] logits each.</summary>
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
