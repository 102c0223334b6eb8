namespace ResNeStBlocks.Evaluation;

/// <summary>An entry of a COCO instances file's <c>images</c>.</summary>
/// <param name="Id">The image id that annotations and results name.</param>
/// <param name="Width">Width in pixels (polygons are rasterised at this size).</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="FileName">The <c>file_name</c>, or null when absent.</param>
public sealed record CocoImage(long Id, int Width, int Height, string? FileName);
