namespace ResNeStBlocks.Evaluation;

/// <summary>
/// A result record (an entry of a COCO results file): an object found on an image, with its box or its mask or both.
/// Its area, as in pycocotools' <c>loadRes</c>, is the box's width times height when it has a box, else the mask's
/// pixel count; box evaluation of a mask-only result uses the mask's bounding box.
/// </summary>
/// <param name="ImageId">The image it was found on (one of the ground truth's images).</param>
/// <param name="CategoryId">Its category.</param>
/// <param name="Score">Its confidence; higher first.</param>
/// <param name="Box">Its <c>bbox</c>, or null.</param>
/// <param name="Mask">Its <c>segmentation</c> as a run-length mask, or null.</param>
public sealed record CocoDetection(long ImageId, long CategoryId, double Score, CocoBox? Box = null, RunLengthMask? Mask = null)
{
    /// <summary>The area that decides the area ranges: the box's, else the mask's.</summary>
    public double Area => Box is { } box ? box.Area : Mask?.Area ?? 0;
}
