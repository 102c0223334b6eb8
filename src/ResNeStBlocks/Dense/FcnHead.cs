using System;
using System.Collections.Generic;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Layers;
using ResNeStBlocks.Description;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Dense;

/// <summary>
/// The fully convolutional classifier (Long et al., 2015; torchvision <c>FCNHead</c>): a 3x3 convolution to a quarter
/// of the input channels with BatchNorm and ReLU, dropout 0.1, and a 1x1 convolution to the outputs. torchvision uses
/// it as FCN's classifier and as the auxiliary classifier on stage 3 of DeepLabV3 and FCN.
/// </summary>
/// <remarks>
/// State-dict keys are torchvision's Sequential indices: <c>0.weight</c> (3x3, no bias), <c>1.*</c> (BatchNorm),
/// <c>4.weight</c>, <c>4.bias</c>; index 2 is the ReLU and 3 the dropout (active in training mode only).
/// </remarks>
public sealed class FcnHead : FoldableModule, ISegmentationHead
{
    private readonly Conv2d conv;
    private BatchNorm2d? bn;
    private readonly ReLU relu;
    private readonly Dropout dropout;
    private readonly Conv2d classifier;

    /// <summary>Creates the head with PyTorch's default initialisation.</summary>
    /// <param name="inChannels">Channels of the input feature map; at least 4, as the hidden width is <c>inChannels / 4</c>.</param>
    /// <param name="channels">Output channels (the number of classes).</param>
    /// <exception cref="ArgumentException">A count is not positive, or <paramref name="inChannels"/> is below 4.</exception>
    public FcnHead(int inChannels, int channels) : base(nameof(FcnHead))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        Guard.Positive((inChannels, nameof(inChannels)), (channels, nameof(channels)));
        Guard.Positive(inChannels / 4, nameof(inChannels), "inChannels / 4 (the hidden width)");
        InChannels = inChannels;
        Channels = channels;
        conv = nn.Conv2d(inChannels, inChannels / 4, 3, padding: 1, bias: false);
        bn = nn.BatchNorm2d(inChannels / 4);
        relu = nn.ReLU(inplace: true);
        dropout = nn.Dropout(0.1);
        classifier = nn.Conv2d(inChannels / 4, channels, 1);
        register_module("0", conv);
        register_module("1", bn);
        register_module("2", relu);
        register_module("3", dropout);
        register_module("4", classifier);
    }

    /// <summary>Channels of the input feature map.</summary>
    public int InChannels { get; }

    /// <summary>Output channels (classes).</summary>
    public int Channels { get; }

    int ISegmentationHead.NumClasses => Channels;

    // torchvision's index of the final 1x1 convolution, resized without aligned corners, as torchvision does.
    IReadOnlyList<string> ISegmentationHead.ClassLayers { get; } = new[] { "4" };

    bool ISegmentationHead.AlignCorners => false;

    void ISegmentationHead.CheckStages(IReadOnlyList<FeatureInfo> stages, string parameterName) =>
        HeadStages.CheckChannels(InChannels, stages[^1], parameterName);

    // The last stage it is given: layer4 as FCN's head, layer3 as the auxiliary head.
    Tensor ISegmentationHead.ForwardStages(IReadOnlyList<Tensor> stages) => call(stages[^1]);

    GraphValue ISegmentationHead.DescribeStages(ForwardGraph graph, IReadOnlyList<GraphValue> stages) => DescribeForward(graph, stages[^1]);

    /// <summary>Logits at the resolution of <paramref name="input"/>.</summary>
    /// <param name="input">Features [N, <see cref="InChannels"/>, H, W].</param>
    /// <returns>Logits [N, <see cref="Channels"/>, H, W].</returns>
    /// <exception cref="ArgumentException">The input's shape, dtype or device does not fit.</exception>
    public override Tensor forward(Tensor input)
    {
        Guard.Image(input, InChannels, nameof(FcnHead), conv.weight);
        using var scope = NewDisposeScope();
        var x = dropout.call(relu.call(bn.CallOrPass(conv.call(input))));
        return classifier.call(x).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    private protected override GraphValue DescribeForward(ForwardGraph graph, GraphValue input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        // The dropout is the identity in eval mode.
        return graph.Convolution(classifier, graph.Call(relu, graph.Convolution(conv, input, bn)));
    }

    /// <summary>Registers nothing: the constructor registered every child under its reference key (TorchSharp's default would add each field again by its name).</summary>
    protected override void RegisterComponents()
    {
    }
}
