using System;
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using ResNeStBlocks.Description;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// The region proposal head (torchvision's <c>RPNHead</c>): on every pyramid level a shared 3x3 convolution and ReLU,
/// then a 1x1 convolution for each anchor's objectness and one for its four box deltas.
/// </summary>
/// <remarks>Keys (torchvision 0.14): <c>conv.{i}.0.*</c> (one per convolution: <c>conv_depth</c> 1, or 2 in the v2
/// detectors), <c>cls_logits.*</c>, <c>bbox_pred.*</c>; weights normal with standard deviation 0.01, biases zero.</remarks>
public sealed class RpnHead : nn.Module<IReadOnlyList<Tensor>, (Tensor[] Objectness, Tensor[] Deltas)>
{
    private readonly Sequential conv;
    private readonly Conv2d clsLogits;
    private readonly Conv2d bboxPred;

    /// <summary>Creates the head.</summary>
    /// <param name="inChannels">Channels of every level.</param>
    /// <param name="numAnchors">Anchors per location.</param>
    /// <param name="convDepth">3x3 convolutions (each with ReLU) before the predictions (torchvision's <c>conv_depth</c>).</param>
    public RpnHead(int inChannels, int numAnchors, int convDepth = 1) : base(nameof(RpnHead))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        Guard.Positive(inChannels, nameof(inChannels));
        Guard.Positive(numAnchors, nameof(numAnchors));
        Guard.Positive(convDepth, nameof(convDepth));
        var convolutions = new nn.Module<Tensor, Tensor>[convDepth];
        for (int i = 0; i < convDepth; i++)
            convolutions[i] = nn.Sequential(nn.Conv2d(inChannels, inChannels, 3, padding: 1), nn.ReLU());
        conv = nn.Sequential(convolutions);
        clsLogits = nn.Conv2d(inChannels, numAnchors, 1);
        bboxPred = nn.Conv2d(inChannels, numAnchors * 4, 1);
        register_module("conv", conv);
        register_module("cls_logits", clsLogits);
        register_module("bbox_pred", bboxPred);
        using (no_grad())
        {
            foreach (var layer in modules())
            {
                if (layer is Conv2d c)
                {
                    nn.init.normal_(c.weight!, std: 0.01);
                    nn.init.zeros_(c.bias!);
                }
            }
        }
    }

    /// <summary>Objectness [N, A, H, W] and deltas [N, 4A, H, W] for every level.</summary>
    /// <param name="levels">The pyramid's levels.</param>
    /// <returns>One objectness and one delta map per level.</returns>
    public override (Tensor[] Objectness, Tensor[] Deltas) forward(IReadOnlyList<Tensor> levels)
    {
        ArgumentNullException.ThrowIfNull(levels);
        var objectness = new Tensor[levels.Count];
        var deltas = new Tensor[levels.Count];
        for (int i = 0; i < levels.Count; i++)
        {
            using var scope = NewDisposeScope();
            var t = conv.call(levels[i]);
            objectness[i] = clsLogits.call(t).MoveToOuterDisposeScope();
            deltas[i] = bboxPred.call(t).MoveToOuterDisposeScope();
        }
        return (objectness, deltas);
    }

    /// <summary>
    /// Describes the eval-mode forward for the module that applies it (inside
    /// <see cref="ForwardGraph.Within{T}(nn.Module, Func{T})"/> for this head): per level, the shared convolution and ReLU,
    /// then the objectness and delta convolutions.
    /// </summary>
    /// <param name="graph">The graph being built.</param>
    /// <param name="levels">The pyramid's levels.</param>
    /// <returns>Objectness [N, A, H, W] and deltas [N, 4A, H, W] per level.</returns>
    public (GraphValue[] Objectness, GraphValue[] Deltas) DescribeLevels(ForwardGraph graph, IReadOnlyList<GraphValue> levels)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(levels);
        var objectness = new GraphValue[levels.Count];
        var deltas = new GraphValue[levels.Count];
        for (int i = 0; i < levels.Count; i++)
        {
            var t = graph.Call(conv, levels[i]);
            objectness[i] = graph.Convolution(clsLogits, t);
            deltas[i] = graph.Convolution(bboxPred, t);
        }
        return (objectness, deltas);
    }

    /// <summary>Registers nothing: the constructor registered every child under torchvision's key.</summary>
    protected override void RegisterComponents()
    {
    }
}
