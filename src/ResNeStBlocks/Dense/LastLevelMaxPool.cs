using System.Collections.Generic;
using ResNeStBlocks.Description;
using static TorchSharp.torch;

namespace ResNeStBlocks.Dense;

/// <summary>
/// torchvision's <c>LastLevelMaxPool</c>: one more level, named "pool", taken from the top level by a max pool of
/// kernel 1 and stride 2 (every other row and column). Faster R-CNN and Mask R-CNN anchor their largest boxes on it.
/// It has no parameters.
/// </summary>
public sealed class LastLevelMaxPool : ExtraFpnBlock, IDescribedModule
{
    /// <summary>The name of the level it adds.</summary>
    public const string LevelName = "pool";

    /// <summary>Creates the block.</summary>
    public LastLevelMaxPool() : base(nameof(LastLevelMaxPool))
    {
    }

    /// <inheritdoc />
    public override FeatureMaps Extend(FeatureMaps pyramid, IReadOnlyList<Tensor> inputs)
    {
        System.ArgumentNullException.ThrowIfNull(pyramid);
        return pyramid.Append((LevelName, nn.functional.max_pool2d(pyramid[pyramid.Count - 1], 1, 2, 0)));
    }

    /// <inheritdoc />
    public override IReadOnlyList<NamedValue> DescribeExtend(ForwardGraph graph, IReadOnlyList<NamedValue> pyramid, IReadOnlyList<GraphValue> inputs)
    {
        System.ArgumentNullException.ThrowIfNull(pyramid);
        return new[] { new NamedValue(LevelName, DescribeLevel(graph, pyramid[^1].Value)) };
    }

    /// <summary>Describes the level it adds, from the pyramid's top level.</summary>
    /// <param name="graph">The graph being built.</param>
    /// <param name="input">The top level.</param>
    /// <returns>The "pool" level.</returns>
    GraphValue IDescribedModule.Describe(ForwardGraph graph, GraphValue input) => DescribeLevel(graph, input);

    private static GraphValue DescribeLevel(ForwardGraph graph, GraphValue input)
    {
        System.ArgumentNullException.ThrowIfNull(graph);
        return graph.MaxPool(input, new long[] { 1, 1 }, new long[] { 2, 2 }, new long[] { 0, 0, 0, 0 }, new long[] { 1, 1 }, ceilMode: false);
    }
}
