using System.Collections.Generic;
using ResNeStBlocks.Description;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// FCOS's regression head (torchvision's <c>FCOSRegressionHead</c>): the tower, then a 3x3 convolution to the four
/// side distances (through ReLU) and one to the centre-ness logit of every anchor; both normal with standard deviation
/// 0.01 and zero biases. Keys: <c>conv.*</c>, <c>bbox_reg.*</c>, <c>bbox_ctrness.*</c>.
/// </summary>
internal sealed class FcosRegressionHead : nn.Module<IReadOnlyList<Tensor>, (Tensor Regression, Tensor Centerness)>
{
    private readonly Sequential conv;
    private readonly Conv2d bboxReg;
    private readonly Conv2d bboxCtrness;

    public FcosRegressionHead(int inChannels, int numAnchors) : base(nameof(FcosRegressionHead))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        conv = FcosHeadTower.Create(inChannels);
        bboxReg = nn.Conv2d(inChannels, numAnchors * 4, 3, padding: 1);
        bboxCtrness = nn.Conv2d(inChannels, numAnchors, 3, padding: 1);
        using (no_grad())
        {
            foreach (var layer in new[] { bboxReg, bboxCtrness })
            {
                nn.init.normal_(layer.weight!, std: 0.01);
                nn.init.zeros_(layer.bias!);
            }
        }
        register_module("conv", conv);
        register_module("bbox_reg", bboxReg);
        register_module("bbox_ctrness", bboxCtrness);
    }

    /// <summary>[N, sum of H * W * A, 4] distances and [N, sum of H * W * A, 1] centre-ness logits, level after level.</summary>
    public override (Tensor Regression, Tensor Centerness) forward(IReadOnlyList<Tensor> levels)
    {
        using var scope = NewDisposeScope();
        var regression = new Tensor[levels.Count];
        var centerness = new Tensor[levels.Count];
        for (int i = 0; i < levels.Count; i++)
        {
            var feature = conv.call(levels[i]);
            regression[i] = HeadOutputs.PermuteAndFlatten(nn.functional.relu(bboxReg.call(feature)), 4);
            centerness[i] = HeadOutputs.PermuteAndFlatten(bboxCtrness.call(feature), 1);
        }
        return (cat(regression, 1).MoveToOuterDisposeScope(), cat(centerness, 1).MoveToOuterDisposeScope());
    }

    /// <summary>Describes the eval-mode forward per level: [N, H * W * A, 4] distances and [N, H * W * A, 1] centre-ness logits each.</summary>
    internal (GraphValue[] Regression, GraphValue[] Centerness) DescribeLevels(ForwardGraph graph, IReadOnlyList<GraphValue> levels)
    {
        var regression = new GraphValue[levels.Count];
        var centerness = new GraphValue[levels.Count];
        for (int i = 0; i < levels.Count; i++)
        {
            var feature = graph.Call(conv, levels[i]);
            regression[i] = HeadOutputs.DescribePermuteAndFlatten(graph, graph.Convolution(bboxReg, feature, activation: Activation.Relu), 4);
            centerness[i] = HeadOutputs.DescribePermuteAndFlatten(graph, graph.Convolution(bboxCtrness, feature), 1);
        }
        return (regression, centerness);
    }

    /// <summary>Registers nothing: the constructor registered every child under torchvision's key.</summary>
    protected override void RegisterComponents()
    {
    }
}
