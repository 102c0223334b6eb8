using System;
using TorchSharp;
using TorchSharp.Modules;
using ResNeStBlocks.Description;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// torchvision's ResNet bottleneck (stride on the 3x3 convolution) with <see cref="FrozenBatchNorm2d"/> norms, as the
/// v1 COCO detectors' bodies have it, or PyTorch's BatchNorm2d (<see cref="BodyNorm"/>), as the v2 ones have it.
/// Keys: <c>conv1..3.weight</c>, <c>bn1..3.*</c>, <c>downsample.0.weight</c> and
/// <c>downsample.1.*</c> where the shape changes.
/// </summary>
public sealed class FrozenBottleneck : nn.Module<Tensor, Tensor>, IDescribedModule
{
    private readonly Conv2d conv1;
    private readonly nn.Module<Tensor, Tensor> bn1;
    private readonly Conv2d conv2;
    private readonly nn.Module<Tensor, Tensor> bn2;
    private readonly Conv2d conv3;
    private readonly nn.Module<Tensor, Tensor> bn3;
    private readonly Sequential? downsample;

    /// <summary>Creates the block.</summary>
    /// <param name="inPlanes">Input channels.</param>
    /// <param name="planes">Width of the 3x3 convolution; the output has four times as many channels.</param>
    /// <param name="stride">Stride of the 3x3 convolution and of the shortcut.</param>
    /// <param name="norm">The norm after each convolution.</param>
    public FrozenBottleneck(int inPlanes, int planes, int stride, BodyNorm norm = BodyNorm.FrozenBatchNorm) : base(nameof(FrozenBottleneck))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        Guard.Positive(inPlanes, nameof(inPlanes));
        Guard.Positive(planes, nameof(planes));
        Guard.Positive(stride, nameof(stride));
        int outPlanes = planes * Expansion;
        conv1 = nn.Conv2d(inPlanes, planes, 1, bias: false);
        bn1 = BodyNorms.Create(norm, planes);
        conv2 = nn.Conv2d(planes, planes, 3, stride: stride, padding: 1, bias: false);
        bn2 = BodyNorms.Create(norm, planes);
        conv3 = nn.Conv2d(planes, outPlanes, 1, bias: false);
        bn3 = BodyNorms.Create(norm, outPlanes);
        if (stride != 1 || inPlanes != outPlanes)
            downsample = nn.Sequential(nn.Conv2d(inPlanes, outPlanes, 1, stride: stride, bias: false), BodyNorms.Create(norm, outPlanes));
        register_module("conv1", conv1);
        register_module("bn1", bn1);
        register_module("conv2", conv2);
        register_module("bn2", bn2);
        register_module("conv3", conv3);
        register_module("bn3", bn3);
        if (downsample is not null)
            register_module("downsample", downsample);
    }

    /// <summary>Output channels per 3x3 width (4).</summary>
    public const int Expansion = 4;

    /// <summary>The residual branch plus the shortcut, then ReLU.</summary>
    /// <param name="input">[N, C, H, W].</param>
    /// <returns>The block's output.</returns>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = nn.functional.relu(bn1.call(conv1.call(input)));
        x = nn.functional.relu(bn2.call(conv2.call(x)));
        x = bn3.call(conv3.call(x));
        var identity = downsample is null ? input : downsample.call(input);
        return x.add_(identity, HeldScalars.One).relu_().MoveToOuterDisposeScope();
    }

    /// <summary>Describes the eval-mode forward: the three convolutions with their norms, the shortcut, the sum and ReLU.</summary>
    /// <param name="graph">The graph being built.</param>
    /// <param name="input">[N, C, H, W].</param>
    /// <returns>The block's output.</returns>
    public GraphValue Describe(ForwardGraph graph, GraphValue input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var x = graph.Relu(graph.Call(bn1, graph.Convolution(conv1, input)));
        x = graph.Relu(graph.Call(bn2, graph.Convolution(conv2, x)));
        x = graph.Call(bn3, graph.Convolution(conv3, x));
        var identity = downsample is null ? input : graph.Call(downsample, input);
        return graph.Relu(graph.Add(x, identity));
    }

    /// <summary>Registers nothing: the constructor registered every child under torchvision's key.</summary>
    protected override void RegisterComponents()
    {
    }
}
