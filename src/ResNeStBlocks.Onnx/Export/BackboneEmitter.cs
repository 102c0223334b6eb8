using System.Collections.Generic;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Onnx.Graph;
using TorchSharp;
using TorchSharp.Modules;

namespace ResNeStBlocks.Onnx.Export;

/// <summary>The ResNet backbone and its stem: <c>conv1</c> (a convolution or the deep stem's Sequential), <c>bn1</c>, ReLU, <c>maxpool</c>, the stages <c>layer1..N</c> and the head.</summary>
internal static class BackboneEmitter
{
    /// <summary>
    /// Emits <paramref name="model"/>: with <paramref name="stageOutputs"/> every stage's output (<c>stage1..N</c>),
    /// otherwise the head's (<c>logits</c>, or <c>features</c> when the network has no classifier).
    /// </summary>
    /// <returns>The graph outputs as (public name, value).</returns>
    public static IReadOnlyList<(string Name, string Value)> ResNet(ExportContext context, ResNet model, string input, bool stageOutputs)
    {
        var children = new ChildModules(model, "");
        string x = StemNodes(context, children, input);
        var stages = new List<(string, string)>();
        for (int s = 1; children.Optional<Sequential>($"layer{s}") is { } stage; s++)
        {
            x = SequentialEmitter.Emit(context, stage, children.PathOf($"layer{s}"), x);
            stages.Add(($"stage{s}", x));
        }
        var fc = children.Optional<Linear>("fc");
        children.EnsureAllTaken();
        if (stageOutputs)
            return stages;

        var graph = context.Graph;
        // Dropout before the classifier is the identity in eval mode.
        string pooled = graph.Node("Flatten", "head", new[] { PoolEmitter.GlobalAverage(context, "head", x) }, Attr.Int("axis", 1));
        if (fc is null)
            return new[] { (OnnxExporter.FeaturesOutput, pooled) };
        var weight = TensorValues.Read(fc.weight);
        var inputs = new List<string> { pooled, graph.Weight("fc.weight", TensorValues.ToFloat(weight), fc.weight.shape) };
        if (fc.bias is not null)
            inputs.Add(graph.Weight("fc.bias", TensorValues.ToFloat(TensorValues.Read(fc.bias)), fc.bias.shape));
        string logits = graph.Node("Gemm", "fc", inputs, Attr.Int("transB", 1));
        return new[] { (OnnxExporter.LogitsOutput, logits) };
    }

    /// <summary>conv1 (fused with bn1), ReLU, max pool.</summary>
    private static string StemNodes(ExportContext context, ChildModules children, string input)
    {
        var conv1 = children.Required<torch.nn.Module>("conv1");
        var bn1 = children.Optional<BatchNorm2d>("bn1");
        string x = conv1 switch
        {
            Conv2d conv => ConvEmitter.Emit(context, conv, children.PathOf("conv1"), bn1, children.PathOf("bn1"), input, relu: true),
            Sequential deep => context.Graph.Node("Relu", children.PathOf("bn1"),
                new[] { SequentialEmitter.Emit(context, deep, children.PathOf("conv1"), input, bn1, children.PathOf("bn1")) }),
            _ => throw OnnxExportErrors.Unsupported(conv1, children.PathOf("conv1")),
        };
        return PoolEmitter.Max(context, children.Required<MaxPool2d>("maxpool"), children.PathOf("maxpool"), x);
    }
}
