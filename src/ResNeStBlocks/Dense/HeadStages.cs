using System;
using System.Collections.Generic;
using ResNeStBlocks.Backbones;

namespace ResNeStBlocks.Dense;

/// <summary>The checks every <see cref="ISegmentationHead"/> of this library makes on the stages it is given.</summary>
internal static class HeadStages
{
    /// <summary>Refuses a stage whose channels differ from those a head was built for.</summary>
    /// <param name="channels">The channels the head reads.</param>
    /// <param name="stage">The stage it reads them from.</param>
    /// <param name="parameterName">The argument that passed the head.</param>
    /// <param name="what">Which of the head's inputs, for heads with several (" (its low-level features)").</param>
    public static void CheckChannels(int channels, FeatureInfo stage, string parameterName, string what = "")
    {
        if (channels != stage.Channels)
            throw new ArgumentException(
                $"The {parameterName}{what} expects {channels} channels but the backbone's {stage.Module} gives {stage.Channels}; " +
                $"create it with {stage.Channels} input channels.", parameterName);
    }

    /// <summary>Refuses fewer stages than a head reads.</summary>
    /// <param name="stages">The stages the head is given.</param>
    /// <param name="count">How many it needs.</param>
    /// <param name="head">The head, for the message ("a DeepLabV3+ head").</param>
    /// <param name="parameterName">The argument that passed the head.</param>
    public static void CheckCount(IReadOnlyList<FeatureInfo> stages, int count, string head, string parameterName)
    {
        if (stages.Count < count)
            throw new ArgumentException(
                $"{head} reads {count} stages but is given {stages.Count}; build the backbone with more stages.", parameterName);
    }
}
