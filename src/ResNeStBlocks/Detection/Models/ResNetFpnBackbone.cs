using System;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Dense;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// A detector's backbone on the library's ResNet (torchvision's <c>_resnet_fpn_extractor</c> with another body): a
/// <see cref="ResNetDetectionBody"/> (keys <c>body.*</c>, timm's) whose four stages feed a <see cref="FeaturePyramidNetwork"/>
/// (keys <c>fpn.*</c>) with <see cref="LastLevelMaxPool"/>: levels "0".."3" and "pool".
/// </summary>
public sealed class ResNetFpnBackbone : nn.Module<Tensor, FeatureMaps>
{
    private readonly ResNetDetectionBody body;
    private readonly FeaturePyramidNetwork fpn;
    private readonly string[] names = FeatureMaps.NumberedNames(4);

    /// <summary>Builds the body and the pyramid.</summary>
    /// <param name="config">The body's architecture, such as <c>ModelZoo.Config("resnest50d")</c>.</param>
    /// <param name="trainableLayers">Stages, counted from the last, whose parameters train (torchvision's default 3).</param>
    /// <param name="outChannels">Channels of every level (256).</param>
    /// <exception cref="ArgumentException">The configuration does not have four stages, or a count is invalid.</exception>
    public ResNetFpnBackbone(ResNetConfig config, int trainableLayers = 3, int outChannels = 256) : base(nameof(ResNetFpnBackbone))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        Guard.Positive(outChannels, nameof(outChannels));
        body = new ResNetDetectionBody(config, trainableLayers);
        fpn = new FeaturePyramidNetwork(body.StageChannels, outChannels, new LastLevelMaxPool());
        register_module("body", body);
        register_module("fpn", fpn);
    }

    /// <summary>The ResNet body (keys <c>body.*</c>).</summary>
    public ResNetDetectionBody Body => body;

    /// <summary>The pyramid (keys <c>fpn.*</c>).</summary>
    public FeaturePyramidNetwork Fpn => fpn;

    /// <summary>The pyramid of a padded batch.</summary>
    /// <param name="input">[N, 3, H, W].</param>
    /// <returns>Levels "0".."3" and "pool".</returns>
    public override FeatureMaps forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var pyramid = fpn.call(new FeatureMaps(names, body.call(input)));
        foreach (var level in pyramid)
            level.MoveToOuterDisposeScope();
        return pyramid;
    }

    /// <summary>Registers nothing: the constructor registered every child under torchvision's key.</summary>
    protected override void RegisterComponents()
    {
    }
}
