namespace ResNeStBlocks.Evaluation;

/// <summary>A ground-truth object: an entry of a COCO instances file's <c>annotations</c>.</summary>
/// <param name="Id">Annotation id (a matched detection records it; pycocotools reads id 0 as "no match").</param>
/// <param name="ImageId">The image it lies on.</param>
/// <param name="CategoryId">Its category.</param>
/// <param name="Box">Its <c>bbox</c>.</param>
/// <param name="Area">Its <c>area</c>, which decides the small/medium/large ranges (not recomputed).</param>
/// <param name="IsCrowd">True for <c>iscrowd: 1</c>: ignored, and matchable by any number of detections.</param>
/// <param name="Segmentation">Its <c>segmentation</c> (polygons or RLE), or null when absent.</param>
public sealed record CocoAnnotation(long Id, long ImageId, long CategoryId, CocoBox Box, double Area, bool IsCrowd, CocoSegmentation? Segmentation);
