using System.Collections.Generic;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection;

/// <summary>
/// Chooses the anchors or proposals that a training step's losses read: some positives (matched to a ground truth) and
/// some negatives (background), per image. Training code takes this interface, so a test can plug in a deterministic
/// sampler and compare losses with a reference that samples the same way.
/// </summary>
public interface IPositiveNegativeSampler
{
    /// <summary>Samples each image.</summary>
    /// <param name="matchedLabels">Per image, [N] int64: at least 1 for a positive, 0 for a negative, below 0 ignored
    /// (torchvision's convention for labels after matching).</param>
    /// <returns>Per image, [N] uint8 masks of the sampled positives and of the sampled negatives.</returns>
    (Tensor[] Positive, Tensor[] Negative) Sample(IReadOnlyList<Tensor> matchedLabels);
}
