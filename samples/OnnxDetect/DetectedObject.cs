namespace ResNeStBlocks.Samples.OnnxDetect;

/// <summary>One object found in an image.</summary>
/// <param name="Label">The class index (0 is the background, which a detector does not report).</param>
/// <param name="Score">The class probability, in [0, 1].</param>
/// <param name="X1">Left edge, in the image's pixels.</param>
/// <param name="Y1">Top edge.</param>
/// <param name="X2">Right edge.</param>
/// <param name="Y2">Bottom edge.</param>
/// <param name="Mask">For a Mask R-CNN file: the object's probability at every image pixel, [height, width] row-major; else null.</param>
public sealed record DetectedObject(long Label, float Score, float X1, float Y1, float X2, float Y2, float[]? Mask = null);
