using System.Collections.Generic;
using ResNeStBlocks.Description;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Dense;

/// <summary>
/// Levels a <see cref="FeaturePyramidNetwork"/> adds above its top level (torchvision <c>ExtraFPNBlock</c>):
/// <see cref="LastLevelMaxPool"/> for Faster/Mask R-CNN, <see cref="LastLevelP6P7"/> for RetinaNet.
/// </summary>
public abstract class ExtraFpnBlock : nn.Module
{
    /// <summary>Names the module.</summary>
    /// <param name="name">The module's name.</param>
    protected ExtraFpnBlock(string name) : base(name)
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
    }

    /// <summary>Appends the extra levels to the pyramid.</summary>
    /// <param name="pyramid">The pyramid's levels so far, highest resolution first, named after its inputs.</param>
    /// <param name="inputs">The feature maps the pyramid was computed from (C2..C5), in the same order.</param>
    /// <returns>The pyramid with the extra levels appended.</returns>
    public abstract FeatureMaps Extend(FeatureMaps pyramid, IReadOnlyList<Tensor> inputs);

    /// <summary>
    /// Describes the levels <see cref="Extend"/> appends, in eval mode (the pyramid's description calls it within this block).
    /// </summary>
    /// <param name="graph">The graph being built.</param>
    /// <param name="pyramid">The pyramid's levels so far, highest resolution first.</param>
    /// <param name="inputs">The feature maps the pyramid was computed from (C2..C5), in the same order.</param>
    /// <returns>The appended levels, named as <see cref="Extend"/> names them.</returns>
    public abstract IReadOnlyList<NamedValue> DescribeExtend(ForwardGraph graph, IReadOnlyList<NamedValue> pyramid, IReadOnlyList<GraphValue> inputs);

    /// <summary>
    /// Checks, when the pyramid is built, that this block fits it; throws <see cref="System.ArgumentException"/> naming
    /// <paramref name="parameter"/> otherwise.
    /// </summary>
    /// <param name="inChannelsList">Channels of the pyramid's inputs.</param>
    /// <param name="outChannels">Channels of the pyramid's levels.</param>
    /// <param name="parameter">The pyramid constructor's parameter that holds this block.</param>
    protected internal virtual void CheckFits(IReadOnlyList<int> inChannelsList, int outChannels, string parameter)
    {
    }
}
