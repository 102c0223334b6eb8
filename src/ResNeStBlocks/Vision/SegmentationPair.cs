namespace ResNeStBlocks.Vision;

/// <summary>An image and its mask (same base name).</summary>
/// <param name="Image">The image file.</param>
/// <param name="Mask">The mask PNG.</param>
public sealed record SegmentationPair(string Image, string Mask);
