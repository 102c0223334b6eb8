namespace ResNeStBlocks.Detection;

/// <summary>How the four numbers of a box are laid out (torchvision's <c>box_convert</c> formats).</summary>
public enum BoxFormat
{
    /// <summary>Corners: x1, y1, x2, y2 ("xyxy"), the format every detection operation here takes.</summary>
    Xyxy,

    /// <summary>Top-left corner, width and height: x, y, w, h ("xywh", COCO's annotation format).</summary>
    Xywh,

    /// <summary>Centre, width and height: cx, cy, w, h ("cxcywh").</summary>
    Cxcywh,
}
