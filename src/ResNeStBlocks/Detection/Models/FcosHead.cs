using System;
using System.Collections.Generic;
using ResNeStBlocks.Description;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// FCOS's head (torchvision's <c>FCOSHead</c>): a classification head and a regression head, each a tower of four
/// 3x3 convolutions with GroupNorm(32) and ReLU, run on every pyramid level.
/// </summary>
/// <remarks>Keys (torchvision 0.14): <c>classification_head.conv.*</c>, <c>classification_head.cls_logits.*</c>,
/// <c>regression_head.conv.*</c>, <c>regression_head.bbox_reg.*</c>, <c>regression_head.bbox_ctrness.*</c>.</remarks>
public sealed class FcosHead : nn.Module<IReadOnlyList<Tensor>, (Tensor ClassLogits, Tensor BoxRegression, Tensor Centerness)>
{
    private readonly FcosClassificationHead classificationHead;
    private readonly FcosRegressionHead regressionHead;

    /// <summary>Creates the head with torchvision's initialisation.</summary>
    /// <param name="inChannels">Channels of every level (a multiple of 32, for GroupNorm's 32 groups).</param>
    /// <param name="numAnchors">Anchors per location (FCOS: 1).</param>
    /// <param name="numClasses">Classes, background included.</param>
    /// <exception cref="ArgumentException">A count is not positive, or <paramref name="inChannels"/> is not a multiple of 32.</exception>
    public FcosHead(int inChannels, int numAnchors, int numClasses) : base(nameof(FcosHead))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        Guard.Positive(inChannels, nameof(inChannels));
        Guard.Positive(numAnchors, nameof(numAnchors));
        Guard.Positive(numClasses, nameof(numClasses));
        if (inChannels % 32 != 0)
            throw new ArgumentException($"inChannels must be a multiple of 32 (GroupNorm's 32 groups), got {inChannels}.", nameof(inChannels));
        NumClasses = numClasses;
        classificationHead = new FcosClassificationHead(inChannels, numAnchors, numClasses);
        regressionHead = new FcosRegressionHead(inChannels, numAnchors);
        register_module("classification_head", classificationHead);
        register_module("regression_head", regressionHead);
    }

    /// <summary>Classes, background included.</summary>
    public int NumClasses { get; }

    /// <summary>The head's outputs over all levels, level after level, location by location (torchvision's order).</summary>
    /// <param name="levels">The pyramid's levels, [N, C, H, W] each.</param>
    /// <returns>Class logits [N, L, K], side distances [N, L, 4] (in units of each anchor's size, 0 or more) and
    /// centre-ness logits [N, L, 1], L the locations of all levels.</returns>
    public override (Tensor ClassLogits, Tensor BoxRegression, Tensor Centerness) forward(IReadOnlyList<Tensor> levels)
    {
        ArgumentNullException.ThrowIfNull(levels);
        var logits = classificationHead.call(levels);
        var (regression, centerness) = regressionHead.call(levels);
        return (logits, regression, centerness);
    }

    /// <summary>
    /// Describes the eval-mode forward per level (inside <see cref="ForwardGraph.Within{T}(nn.Module, Func{T})"/> for this
    /// head): logits [N, H * W * A, K], distances [N, H * W * A, 4] and centre-ness logits [N, H * W * A, 1] of each level.
    /// </summary>
    internal (GraphValue[] ClassLogits, GraphValue[] BoxRegression, GraphValue[] Centerness) DescribeLevels(ForwardGraph graph, IReadOnlyList<GraphValue> levels)
    {
        var logits = graph.Within(classificationHead, () => classificationHead.DescribeLevels(graph, levels));
        var (regression, centerness) = graph.Within(regressionHead, () => regressionHead.DescribeLevels(graph, levels));
        return (logits, regression, centerness);
    }

    /// <summary>Registers nothing: the constructor registered every child under torchvision's key.</summary>
    protected override void RegisterComponents()
    {
    }
}
