using System;

namespace ResNeStBlocks.Vision;

/// <summary>
/// A training augmentation applied to an image and its boxes, labels and masks together, so they stay aligned.
/// All randomness comes from the <see cref="Random"/> passed in: the same seed gives the same result.
/// </summary>
public interface IPairedTransform
{
    /// <summary>Transforms one sample; the input is left alone and the result holds new tensor handles the caller disposes.</summary>
    /// <param name="sample">Image <c>[3, H, W]</c> and its target.</param>
    /// <param name="random">The sample's own source of randomness.</param>
    /// <returns>The transformed sample.</returns>
    PairedSample Apply(PairedSample sample, Random random);
}
