namespace ResNeStBlocks.Vision;

/// <summary>
/// One <c>&lt;object&gt;</c> of a Pascal VOC annotation. <see cref="X1"/>..<see cref="Y2"/> are the box in continuous
/// 0-based pixel coordinates: <c>(xmin - 1, ymin - 1, xmax, ymax)</c> of VOC's 1-based inclusive pixel indexes (see
/// <see cref="VocAnnotation"/>).
/// </summary>
/// <param name="Name">The class name, as written (trimmed).</param>
/// <param name="X1">Left edge: <c>xmin - 1</c>.</param>
/// <param name="Y1">Top edge: <c>ymin - 1</c>.</param>
/// <param name="X2">Right edge (exclusive): <c>xmax</c>.</param>
/// <param name="Y2">Bottom edge (exclusive): <c>ymax</c>.</param>
/// <param name="Difficult">VOC's <c>difficult</c> flag (left out of VOC's evaluation).</param>
/// <param name="Truncated">VOC's <c>truncated</c> flag.</param>
public sealed record VocObject(string Name, double X1, double Y1, double X2, double Y2, bool Difficult, bool Truncated);
