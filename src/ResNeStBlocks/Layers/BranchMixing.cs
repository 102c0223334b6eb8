using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Description;

namespace ResNeStBlocks.Layers;

/// <summary>How Split-Attention and Selective Kernel describe their final step: branches weighted per channel, then summed.</summary>
internal static class BranchMixing
{
    /// <summary><c>sum_i branches[i] * w_i</c>, where <paramref name="weights"/> [N, k * C, 1, 1] holds the k branch weights one after another.</summary>
    public static GraphValue DescribeWeightedSum(ForwardGraph graph, IReadOnlyList<GraphValue> branches, GraphValue weights)
    {
        var parts = graph.Split(weights, branches.Count);
        return graph.Sum(branches.Select((branch, i) => graph.Mul(branch, parts[i])).ToArray());
    }
}
