using System;
using System.Linq;
using ResNeStBlocks.Dense;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// A detector's backbone as torchvision's <c>_resnet_fpn_extractor</c> builds it for the COCO weights: a
/// <see cref="FrozenResNetBody"/> (keys <c>body.*</c>) whose four stages feed a <see cref="FeaturePyramidNetwork"/>
/// (keys <c>fpn.*</c>) with <see cref="LastLevelMaxPool"/>: levels "0".."3" and "pool". The v2 detectors'
/// (<c>batchNorm</c>) have BatchNorm2d in the body (<c>resnet50()</c>) and in the pyramid (<c>norm_layer=nn.BatchNorm2d</c>).
/// </summary>
public sealed class DetectionBackbone : nn.Module<Tensor, FeatureMaps>
{
    private readonly FrozenResNetBody body;
    private readonly FeaturePyramidNetwork fpn;
    private readonly string[] names = FeatureMaps.NumberedNames(4);

    /// <summary>Builds the body and the pyramid.</summary>
    /// <param name="layers">Bottlenecks per stage (ResNet-50: 3, 4, 6, 3).</param>
    /// <param name="trainableLayers">Stages, counted from the last, whose parameters train (torchvision's default 3).</param>
    /// <param name="outChannels">Channels of every level (256).</param>
    /// <param name="batchNorm">BatchNorm2d in the body and the pyramid (the v2 detectors) instead of a frozen body and a
    /// pyramid without norms.</param>
    public DetectionBackbone(int[] layers, int trainableLayers, int outChannels = 256, bool batchNorm = false) : base(nameof(DetectionBackbone))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        body = new FrozenResNetBody(layers, trainableLayers, batchNorm);
        fpn = new FeaturePyramidNetwork(FrozenResNetBody.StageChannels, outChannels, new LastLevelMaxPool(), batchNorm);
        register_module("body", body);
        register_module("fpn", fpn);
    }

    /// <summary>The ResNet body (keys <c>body.*</c>).</summary>
    public FrozenResNetBody Body => body;

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
