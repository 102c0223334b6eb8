namespace ResNeStBlocks.Evaluation;

/// <summary>What the evaluation overlaps: pycocotools' <c>iouType</c>.</summary>
public enum CocoIouType
{
    /// <summary><c>'bbox'</c>: the IoU of boxes.</summary>
    Box,

    /// <summary><c>'segm'</c>: the IoU of masks (run-length encoded; polygons rasterised as pycocotools does).</summary>
    Mask,
}
