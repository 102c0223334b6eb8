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
/// The DeepLabV3 classifier (Chen et al., 2017; torchvision <c>DeepLabHead</c>): <see cref="Aspp"/>, a 3x3
/// convolution with BatchNorm and ReLU, and a 1x1 convolution to the class logits, at the input's resolution.
/// </summary>
/// <remarks>
/// State-dict keys are torchvision's Sequential indices: <c>0.*</c> (the <see cref="Aspp"/>), <c>1.weight</c> (3x3,
/// no bias), <c>2.*</c> (BatchNorm), <c>4.weight</c>, <c>4.bias</c> (classifier); index 3 is the ReLU. In a
/// <see cref="SegmentationModel"/> they sit under <c>classifier.</c>. torchvision fixes the width at 256 and the rates at
/// 12, 24, 36; both are parameters here with those defaults.
/// </remarks>
public sealed class DeepLabHead : FoldableModule, ISegmentationHead
{
    private readonly Aspp aspp;
    private readonly Conv2d conv;
    private BatchNorm2d? bn;
    private readonly ReLU relu;
    private readonly Conv2d classifier;

    /// <summary>Creates the head with PyTorch's default initialisation.</summary>
    /// <param name="inChannels">Channels of the backbone's last feature map (2048 for ResNet-50).</param>
    /// <param name="numClasses">Classes to predict.</param>
    /// <param name="channels">Width of the ASPP and of the 3x3 convolution (torchvision: 256).</param>
    /// <param name="atrousRates">The ASPP's rates; default 12, 24, 36.</param>
    /// <exception cref="ArgumentException">A count or rate is not positive.</exception>
    public DeepLabHead(int inChannels, int numClasses, int channels = 256, IReadOnlyList<int>? atrousRates = null)
        : base(nameof(DeepLabHead))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        Guard.Positive((inChannels, nameof(inChannels)), (numClasses, nameof(numClasses)), (channels, nameof(channels)));
        InChannels = inChannels;
        NumClasses = numClasses;
        aspp = new Aspp(inChannels, atrousRates, channels);
        conv = nn.Conv2d(channels, channels, 3, padding: 1, bias: false);
        bn = nn.BatchNorm2d(channels);
        relu = nn.ReLU(inplace: true);
        classifier = nn.Conv2d(channels, numClasses, 1);
        register_module("0", aspp);
        register_module("1", conv);
        register_module("2", bn);
        register_module("3", relu);
        register_module("4", classifier);
    }

    /// <summary>Channels of the input feature map.</summary>
    public int InChannels { get; }

    /// <summary>Classes predicted (output channels).</summary>
    public int NumClasses { get; }

    /// <summary>The atrous spatial pyramid pooling at the head's start.</summary>
    public Aspp Aspp => aspp;

    // torchvision's index of the final 1x1 convolution; resized to the input without aligned corners, as torchvision does.
    IReadOnlyList<string> ISegmentationHead.ClassLayers { get; } = new[] { "4" };

    bool ISegmentationHead.AlignCorners => false;

    void ISegmentationHead.CheckStages(IReadOnlyList<FeatureInfo> stages, string parameterName) =>
        HeadStages.CheckChannels(InChannels, stages[^1], parameterName);

    // The last stage it is given: layer4 as the main head.
    Tensor ISegmentationHead.ForwardStages(IReadOnlyList<Tensor> stages) => call(stages[^1]);

    GraphValue ISegmentationHead.DescribeStages(ForwardGraph graph, IReadOnlyList<GraphValue> stages) => DescribeForward(graph, stages[^1]);

    /// <summary>Class logits at the resolution of <paramref name="input"/>.</summary>
    /// <param name="input">Features [N, <see cref="InChannels"/>, H, W].</param>
    /// <returns>Logits [N, <see cref="NumClasses"/>, H, W].</returns>
    /// <exception cref="ArgumentException">The input's shape, dtype or device does not fit.</exception>
    public override Tensor forward(Tensor input)
    {
        Guard.Image(input, InChannels, nameof(DeepLabHead), conv.weight);
        using var scope = NewDisposeScope();
        var x = relu.call(bn.CallOrPass(conv.call(aspp.call(input))));
        return classifier.call(x).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    private protected override GraphValue DescribeForward(ForwardGraph graph, GraphValue input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var x = graph.Call(relu, graph.Convolution(conv, graph.Call(aspp, input), bn));
        return graph.Convolution(classifier, x);
    }

    /// <summary>Registers nothing: the constructor registered every child under its reference key (TorchSharp's default would add each field again by its name).</summary>
    protected override void RegisterComponents()
    {
    }
}
