using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Dense;
using TorchSharp;
using ResNeStBlocks.Description;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// A detector's backbone as torchvision's <c>_resnet_fpn_extractor</c> builds it: a <see cref="FrozenResNetBody"/>
/// (keys <c>body.*</c>) whose returned stages feed a <see cref="FeaturePyramidNetwork"/> (keys <c>fpn.*</c>) with an
/// extra block. Faster R-CNN: all four stages and <see cref="LastLevelMaxPool"/> (levels "0".."3" and "pool");
/// RetinaNet: stages 2-4 and <see cref="LastLevelP6P7"/> (levels "0".."2", "p6" and "p7").
/// </summary>
public sealed class DetectionBackbone : nn.Module<Tensor, FeatureMaps>, IDescribedOutputs
{
    private readonly FrozenResNetBody body;
    private readonly FeaturePyramidNetwork fpn;
    private readonly PyramidStages stages;

    /// <summary>Builds the body and the pyramid on all four stages with <see cref="LastLevelMaxPool"/> and a frozen-norm body (Faster R-CNN v1).</summary>
    /// <param name="layers">Bottlenecks per stage (ResNet-50: 3, 4, 6, 3).</param>
    /// <param name="trainableLayers">Stages, counted from the last, whose parameters train (torchvision's default 3).</param>
    /// <param name="outChannels">Channels of every level (256).</param>
    public DetectionBackbone(int[] layers, int trainableLayers, int outChannels = 256)
        : this(layers, trainableLayers, new[] { 1, 2, 3, 4 }, new LastLevelMaxPool(), BodyNorm.FrozenBatchNorm, outChannels)
    {
    }

    /// <summary>Builds the body and the pyramid (torchvision's <c>returned_layers</c>, <c>extra_blocks</c> and the body's <c>norm_layer</c>).</summary>
    /// <param name="layers">Bottlenecks per stage (ResNet-50: 3, 4, 6, 3).</param>
    /// <param name="trainableLayers">Stages, counted from the last, whose parameters train (torchvision's default 3).</param>
    /// <param name="returnedStages">The stages (1 to 4, increasing, ending with 4) whose outputs feed the pyramid, named "0", "1", ... in order.</param>
    /// <param name="extraBlocks">The levels added above the top one.</param>
    /// <param name="norm">The body's norm.</param>
    /// <param name="outChannels">Channels of every level (256).</param>
    /// <param name="pyramidBatchNorm">BatchNorm2d after the pyramid's convolutions (the v2 two-stage models, torchvision's
    /// <c>norm_layer</c> of the pyramid).</param>
    /// <exception cref="ArgumentException">The returned stages are empty, out of 1..4, not increasing or do not end with 4.</exception>
    public DetectionBackbone(int[] layers, int trainableLayers, IReadOnlyList<int> returnedStages, ExtraFpnBlock extraBlocks, BodyNorm norm, int outChannels = 256,
        bool pyramidBatchNorm = false)
        : base(nameof(DetectionBackbone))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        ArgumentNullException.ThrowIfNull(extraBlocks);
        stages = new PyramidStages(returnedStages);
        body = new FrozenResNetBody(layers, trainableLayers, norm);
        fpn = new FeaturePyramidNetwork(stages.Channels(FrozenResNetBody.StageChannels), outChannels, extraBlocks, pyramidBatchNorm);
        register_module("body", body);
        register_module("fpn", fpn);
    }

    /// <summary>The ResNet body (keys <c>body.*</c>).</summary>
    public FrozenResNetBody Body => body;

    /// <summary>The pyramid (keys <c>fpn.*</c>).</summary>
    public FeaturePyramidNetwork Fpn => fpn;

    /// <summary>The stages (1 to 4) that feed the pyramid.</summary>
    public IReadOnlyList<int> ReturnedStages => stages.Stages;

    /// <summary>The pyramid of a padded batch.</summary>
    /// <param name="input">[N, 3, H, W].</param>
    /// <returns>Levels "0", "1", ... (one per returned stage), then the extra block's.</returns>
    public override FeatureMaps forward(Tensor input) => stages.Pyramid(fpn, () => body.call(input));

    /// <summary>Describes the eval-mode forward: one output per level, named as <see cref="forward"/> names them.</summary>
    /// <param name="graph">The graph being built.</param>
    /// <param name="input">[N, 3, H, W].</param>
    /// <returns>Levels "0".."3" and "pool".</returns>
    public IReadOnlyList<NamedValue> DescribeOutputs(ForwardGraph graph, GraphValue input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var described = graph.Within(body, () => body.DescribeStages(graph, input));
        var named = stages.Stages.Select((stage, i) => new NamedValue(stages.Names[i], described[stage - 1])).ToArray();
        return graph.Within(fpn, () => fpn.Describe(graph, named));
    }

    /// <summary>Registers nothing: the constructor registered every child under torchvision's key.</summary>
    protected override void RegisterComponents()
    {
    }
}
