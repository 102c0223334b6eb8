using System.Collections.Generic;
using static TorchSharp.torch;

namespace ResNeStBlocks.Layers;

/// <summary>
/// The attention-weighted sum of branches shared by Split-Attention and Selective Kernel:
/// <c>sum_i branches[i] * weights[:, i]</c>, without materialising the stacked products.
/// </summary>
internal static class WeightedBranchSum
{
    /// <summary>Weights each [N, C, H, W] branch by its [N, C, 1, 1] slice of <paramref name="weights"/> and sums.</summary>
    /// <param name="branches">The branches (views are fine; none is modified).</param>
    /// <param name="weights">Per-branch, per-channel weights [N, branches, C, 1, 1] that sum to one across branches (a softmax).</param>
    /// <returns>
    /// A fresh tensor. Two branches take one kernel, <c>b1 + w0 * (b0 - b1)</c> (lerp, exact because the
    /// weights sum to one): each branch is read once and the output written once. More branches take a mul
    /// and one in-place addcmul per further branch.
    /// </returns>
    public static Tensor Compute(IReadOnlyList<Tensor> branches, Tensor weights)
    {
        if (branches.Count == 2)
            return branches[1].lerp(branches[0], weights.select(1, 0));
        var sum = branches[0].mul(weights.select(1, 0));
        for (int i = 1; i < branches.Count; i++)
            sum = sum.addcmul_(branches[i], weights.select(1, i), 1);
        return sum;
    }
}
