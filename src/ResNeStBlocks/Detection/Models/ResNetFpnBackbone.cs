using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Description;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// A detector's backbone on the library's ResNet (torchvision's <c>_resnet_fpn_extractor</c> with another body): a
/// <see cref="ResNetDetectionBody"/> (keys <c>body.*</c>, timm's) whose returned stages feed a <see cref="FeaturePyramidNetwork"/>
/// (keys <c>fpn.*</c>) with an extra block. Faster and Mask R-CNN: all four stages and <see cref="LastLevelMaxPool"/>
/// (levels "0".."3" and "pool"); RetinaNet and FCOS: stages 2-4 and <see cref="LastLevelP6P7"/> (levels "0".."2", "p6" and "p7").
/// </summary>
public sealed class ResNetFpnBackbone : nn.Module<Tensor, FeatureMaps>, IDescribedOutputs
{
    private readonly ResNetDetectionBody body;
    private readonly FeaturePyramidNetwork fpn;
    private readonly PyramidStages stages;

    /// <summary>Builds the body and the pyramid on all four stages with <see cref="LastLevelMaxPool"/> (Faster and Mask R-CNN).</summary>
    /// <param name="config">The body's architecture, such as <c>ModelZoo.Config("resnest50d")</c>.</param>
    /// <param name="trainableLayers">Stages, counted from the last, whose parameters train (torchvision's default 3).</param>
    /// <param name="outChannels">Channels of every level (256).</param>
    /// <exception cref="ArgumentException">The configuration does not have four stages, or a count is invalid.</exception>
    public ResNetFpnBackbone(ResNetConfig config, int trainableLayers = 3, int outChannels = 256)
        : this(config, trainableLayers, new[] { 1, 2, 3, 4 }, new LastLevelMaxPool(), outChannels)
    {
    }

    /// <summary>Builds the body and the pyramid (torchvision's <c>returned_layers</c> and <c>extra_blocks</c>).</summary>
    /// <param name="config">The body's architecture, such as <c>ModelZoo.Config("resnest50d")</c>.</param>
    /// <param name="trainableLayers">Stages, counted from the last, whose parameters train (torchvision's default 3).</param>
    /// <param name="returnedStages">The stages (1 to 4, increasing, ending with 4) whose outputs feed the pyramid, named "0", "1", ... in order.</param>
    /// <param name="extraBlocks">The levels added above the top one.</param>
    /// <param name="outChannels">Channels of every level (256).</param>
    /// <exception cref="ArgumentException">The configuration does not have four stages, the returned stages are empty, out
    /// of 1..4, not increasing or do not end with 4, or a count is invalid.</exception>
    public ResNetFpnBackbone(ResNetConfig config, int trainableLayers, IReadOnlyList<int> returnedStages, ExtraFpnBlock extraBlocks, int outChannels = 256)
        : base(nameof(ResNetFpnBackbone))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        ArgumentNullException.ThrowIfNull(extraBlocks);
        Guard.Positive(outChannels, nameof(outChannels));
        stages = new PyramidStages(returnedStages);
        body = new ResNetDetectionBody(config, trainableLayers);
        fpn = new FeaturePyramidNetwork(stages.Channels(body.StageChannels), outChannels, extraBlocks);
        register_module("body", body);
        register_module("fpn", fpn);
    }

    /// <summary>The ResNet body (keys <c>body.*</c>).</summary>
    public ResNetDetectionBody Body => body;

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
    /// <returns>Levels "0", "1", ... (one per returned stage), then the extra block's.</returns>
    public IReadOnlyList<NamedValue> DescribeOutputs(ForwardGraph graph, GraphValue input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var all = graph.Within(body, () => body.DescribeStages(graph, input));
        var named = stages.Stages.Select((stage, i) => new NamedValue(stages.Names[i], all[stage - 1])).ToArray();
        return graph.Within(fpn, () => fpn.Describe(graph, named));
    }

    /// <summary>Registers nothing: the constructor registered every child under torchvision's key.</summary>
    protected override void RegisterComponents()
    {
    }
}
