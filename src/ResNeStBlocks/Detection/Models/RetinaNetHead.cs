using System;
using System.Collections.Generic;
using ResNeStBlocks.Description;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// RetinaNet's two subnets (torchvision's <c>RetinaNetHead</c>), run on every pyramid level: keys
/// <c>classification_head.*</c> (<see cref="RetinaNetClassificationHead"/>) and <c>regression_head.*</c>
/// (<see cref="RetinaNetRegressionHead"/>).
/// </summary>
public sealed class RetinaNetHead : nn.Module
{
    private readonly RetinaNetClassificationHead classificationHead;
    private readonly RetinaNetRegressionHead regressionHead;

    /// <summary>Creates both subnets with torchvision's initialisation.</summary>
    /// <param name="inChannels">Channels of every pyramid level.</param>
    /// <param name="numAnchors">Anchors per location.</param>
    /// <param name="numClasses">Classes.</param>
    /// <param name="groupNorm">GroupNorm(32) in the convolution stacks (v2's <c>norm_layer=partial(nn.GroupNorm, 32)</c>).</param>
    public RetinaNetHead(int inChannels, int numAnchors, int numClasses, bool groupNorm = false) : base(nameof(RetinaNetHead))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        classificationHead = new RetinaNetClassificationHead(inChannels, numAnchors, numClasses, groupNorm);
        regressionHead = new RetinaNetRegressionHead(inChannels, numAnchors, groupNorm);
        register_module("classification_head", classificationHead);
        register_module("regression_head", regressionHead);
    }

    /// <summary>The classification subnet (keys <c>classification_head.*</c>).</summary>
    public RetinaNetClassificationHead ClassificationHead => classificationHead;

    /// <summary>The box subnet (keys <c>regression_head.*</c>).</summary>
    public RetinaNetRegressionHead RegressionHead => regressionHead;

    /// <summary>Describes both subnets' eval-mode forwards (inside <see cref="ForwardGraph.Within{T}(nn.Module, Func{T})"/> for this head).</summary>
    /// <returns>Per level, logits [N, H * W * A, classes] and deltas [N, H * W * A, 4].</returns>
    internal (GraphValue[] Logits, GraphValue[] Deltas) DescribeLevels(ForwardGraph graph, IReadOnlyList<GraphValue> levels) =>
        (graph.Within(classificationHead, () => classificationHead.DescribeLevels(graph, levels)),
         graph.Within(regressionHead, () => regressionHead.DescribeLevels(graph, levels)));

    /// <summary>Registers nothing: the constructor registered every child under torchvision's key.</summary>
    protected override void RegisterComponents()
    {
    }
}
