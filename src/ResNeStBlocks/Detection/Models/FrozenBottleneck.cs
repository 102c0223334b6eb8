using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// torchvision's ResNet bottleneck (stride on the 3x3 convolution) with <see cref="FrozenBatchNorm2d"/> norms, as the
/// COCO detectors' bodies have it, or with <c>BatchNorm2d</c> (the v2 detectors' bodies). Keys: <c>conv1..3.weight</c>,
/// <c>bn1..3.*</c>, <c>downsample.0.weight</c> and <c>downsample.1.*</c> where the shape changes.
/// </summary>
public sealed class FrozenBottleneck : nn.Module<Tensor, Tensor>
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
    /// <param name="batchNorm">BatchNorm2d instead of <see cref="FrozenBatchNorm2d"/> (torchvision's default
    /// <c>norm_layer</c>, as the v2 detectors' bodies have it).</param>
    public FrozenBottleneck(int inPlanes, int planes, int stride, bool batchNorm = false) : base(nameof(FrozenBottleneck))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        Guard.Positive(inPlanes, nameof(inPlanes));
        Guard.Positive(planes, nameof(planes));
        Guard.Positive(stride, nameof(stride));
        int outPlanes = planes * Expansion;
        conv1 = nn.Conv2d(inPlanes, planes, 1, bias: false);
        bn1 = Norm(batchNorm, planes);
        conv2 = nn.Conv2d(planes, planes, 3, stride: stride, padding: 1, bias: false);
        bn2 = Norm(batchNorm, planes);
        conv3 = nn.Conv2d(planes, outPlanes, 1, bias: false);
        bn3 = Norm(batchNorm, outPlanes);
        if (stride != 1 || inPlanes != outPlanes)
            downsample = nn.Sequential(nn.Conv2d(inPlanes, outPlanes, 1, stride: stride, bias: false), Norm(batchNorm, outPlanes));
        register_module("conv1", conv1);
        register_module("bn1", bn1);
        register_module("conv2", conv2);
        register_module("bn2", bn2);
        register_module("conv3", conv3);
        register_module("bn3", bn3);
        if (downsample is not null)
            register_module("downsample", downsample);
    }

    /// <summary>The body's norm: BatchNorm2d, or the frozen one of the COCO weights.</summary>
    internal static nn.Module<Tensor, Tensor> Norm(bool batchNorm, int channels) =>
        batchNorm ? nn.BatchNorm2d(channels) : new FrozenBatchNorm2d(channels);

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

    /// <summary>Registers nothing: the constructor registered every child under torchvision's key.</summary>
    protected override void RegisterComponents()
    {
    }
}
