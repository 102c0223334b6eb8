namespace ResNeStBlocks.Evaluation;

/// <summary>A COCO box: left, top, width and height in pixels (COCO's <c>[x, y, w, h]</c>).</summary>
/// <param name="X">Left edge.</param>
/// <param name="Y">Top edge.</param>
/// <param name="Width">Width.</param>
/// <param name="Height">Height.</param>
public readonly record struct CocoBox(double X, double Y, double Width, double Height)
{
    /// <summary>Width times height: the area pycocotools gives a box result.</summary>
    public double Area => Width * Height;
}
