using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Dense;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// The body stages a detection backbone's pyramid reads (torchvision's <c>returned_layers</c>), checked once and named
/// "0", "1", ... in order: what <see cref="DetectionBackbone"/> and <see cref="ResNetFpnBackbone"/> share.
/// </summary>
internal sealed class PyramidStages
{
    /// <summary>Checks the stages: 1 to 4, increasing, ending with 4.</summary>
    /// <exception cref="ArgumentException">They are empty, out of 1..4, not increasing or do not end with 4.</exception>
    public PyramidStages(IReadOnlyList<int> returnedStages)
    {
        ArgumentNullException.ThrowIfNull(returnedStages);
        // torchvision's IntermediateLayerGetter drops the stages after the last returned one, keys included; the detection
        // bodies here keep all four.
        if (returnedStages.Count == 0 || returnedStages.Any(s => s is < 1 or > 4) || returnedStages.Zip(returnedStages.Skip(1)).Any(p => p.First >= p.Second) || returnedStages[^1] != 4)
            throw new ArgumentException(
                $"returnedStages must be increasing stage numbers from 1 to 4 ending with 4, such as [2, 3, 4], got [{string.Join(", ", returnedStages)}].", nameof(returnedStages));
        Stages = returnedStages.ToArray();
        Names = FeatureMaps.NumberedNames(Stages.Length);
    }

    /// <summary>The stages, numbered from 1.</summary>
    public int[] Stages { get; }

    /// <summary>The names the pyramid gets them under.</summary>
    public string[] Names { get; }

    /// <summary>The pyramid's input channels: the returned stages' among all four stages' channels.</summary>
    public int[] Channels(IReadOnlyList<int> stageChannels) => Stages.Select(s => stageChannels[s - 1]).ToArray();

    /// <summary>The pyramid of the body's four stage outputs, its levels moved out of the caller's dispose scope.</summary>
    public FeatureMaps Pyramid(FeaturePyramidNetwork fpn, Func<IReadOnlyList<Tensor>> stages)
    {
        using var scope = NewDisposeScope();
        var all = stages();
        var pyramid = fpn.call(new FeatureMaps(Names, Stages.Select(s => all[s - 1]).ToArray()));
        foreach (var level in pyramid)
            level.MoveToOuterDisposeScope();
        return pyramid;
    }
}
