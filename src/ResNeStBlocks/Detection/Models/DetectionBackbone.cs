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
    private readonly int[] returnedStages;
    private readonly string[] names;

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
        ArgumentNullException.ThrowIfNull(returnedStages);
        ArgumentNullException.ThrowIfNull(extraBlocks);
        // torchvision's IntermediateLayerGetter drops the stages after the last returned one, keys included; only bodies
        // that keep all four are built here.
        if (returnedStages.Count == 0 || returnedStages.Any(s => s is < 1 or > 4) || returnedStages.Zip(returnedStages.Skip(1)).Any(p => p.First >= p.Second) || returnedStages[^1] != 4)
            throw new ArgumentException(
                $"returnedStages must be increasing stage numbers from 1 to 4 ending with 4, such as [2, 3, 4], got [{string.Join(", ", returnedStages)}].", nameof(returnedStages));
        this.returnedStages = returnedStages.ToArray();
        names = FeatureMaps.NumberedNames(this.returnedStages.Length);
        body = new FrozenResNetBody(layers, trainableLayers, norm);
        fpn = new FeaturePyramidNetwork(this.returnedStages.Select(s => FrozenResNetBody.StageChannels[s - 1]).ToArray(), outChannels, extraBlocks, pyramidBatchNorm);
        register_module("body", body);
        register_module("fpn", fpn);
    }

    /// <summary>The ResNet body (keys <c>body.*</c>).</summary>
    public FrozenResNetBody Body => body;

    /// <summary>The pyramid (keys <c>fpn.*</c>).</summary>
    public FeaturePyramidNetwork Fpn => fpn;

    /// <summary>The stages (1 to 4) that feed the pyramid.</summary>
    public IReadOnlyList<int> ReturnedStages => returnedStages;

    /// <summary>The pyramid of a padded batch.</summary>
    /// <param name="input">[N, 3, H, W].</param>
    /// <returns>Levels "0", "1", ... (one per returned stage), then the extra block's.</returns>
    public override FeatureMaps forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var stages = body.call(input);
        var pyramid = fpn.call(new FeatureMaps(names, returnedStages.Select(s => stages[s - 1]).ToArray()));
        foreach (var level in pyramid)
            level.MoveToOuterDisposeScope();
        return pyramid;
    }

    /// <summary>Describes the eval-mode forward: one output per level, named as <see cref="forward"/> names them.</summary>
    /// <param name="graph">The graph being built.</param>
    /// <param name="input">[N, 3, H, W].</param>
    /// <returns>Levels "0".."3" and "pool".</returns>
    public IReadOnlyList<NamedValue> DescribeOutputs(ForwardGraph graph, GraphValue input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var stages = graph.Within(body, () => body.DescribeStages(graph, input));
        var named = returnedStages.Select((stage, i) => new NamedValue(names[i], stages[stage - 1])).ToArray();
        return graph.Within(fpn, () => fpn.Describe(graph, named));
    }

    /// <summary>Registers nothing: the constructor registered every child under torchvision's key.</summary>
    protected override void RegisterComponents()
    {
    }
}
