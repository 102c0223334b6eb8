using System;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection;

public static partial class BoxOps
{
    /// <summary>
    /// Converts boxes between formats (torchvision's <c>box_convert</c>): through corners (xyxy) when neither side is
    /// xyxy, with torchvision's arithmetic (half-widths as <c>0.5 * w</c>, centres as <c>(x1 + x2) / 2</c>).
    /// </summary>
    /// <param name="boxes">[..., 4] boxes in <paramref name="from"/>'s layout.</param>
    /// <param name="from">The layout of <paramref name="boxes"/>.</param>
    /// <param name="to">The layout wanted.</param>
    /// <returns>The converted boxes (a copy when the formats are equal).</returns>
    public static Tensor BoxConvert(Tensor boxes, BoxFormat from, BoxFormat to)
    {
        BoxChecks.Boxes(boxes, nameof(boxes), anyLeading: true);
        if (!Enum.IsDefined(from))
            throw new ArgumentOutOfRangeException(nameof(from), from, "Unknown box format.");
        if (!Enum.IsDefined(to))
            throw new ArgumentOutOfRangeException(nameof(to), to, "Unknown box format.");
        if (from == to)
            return boxes.clone();
        using var scope = NewDisposeScope();
        var corners = from switch
        {
            BoxFormat.Xywh => XywhToXyxy(boxes),
            BoxFormat.Cxcywh => CxcywhToXyxy(boxes),
            _ => boxes,
        };
        var result = to switch
        {
            BoxFormat.Xywh => XyxyToXywh(corners),
            BoxFormat.Cxcywh => XyxyToCxcywh(corners),
            _ => corners,
        };
        return result.MoveToOuterDisposeScope();
    }

    private static (Tensor A, Tensor B, Tensor C, Tensor D) Unbind(Tensor boxes)
    {
        var parts = boxes.unbind(-1);
        return (parts[0], parts[1], parts[2], parts[3]);
    }

    private static Tensor XywhToXyxy(Tensor boxes)
    {
        var (x, y, w, h) = Unbind(boxes);
        return stack(new[] { x, y, x.add(w, DetectionScalars.One), y.add(h, DetectionScalars.One) }, -1);
    }

    private static Tensor XyxyToXywh(Tensor boxes)
    {
        var (x1, y1, x2, y2) = Unbind(boxes);
        return stack(new[] { x1, y1, x2.sub(x1), y2.sub(y1) }, -1);
    }

    private static Tensor CxcywhToXyxy(Tensor boxes)
    {
        var (cx, cy, w, h) = Unbind(boxes);
        var halfW = w.mul(DetectionScalars.Half);
        var halfH = h.mul(DetectionScalars.Half);
        return stack(new[] { cx.sub(halfW), cy.sub(halfH), cx.add(halfW, DetectionScalars.One), cy.add(halfH, DetectionScalars.One) }, -1);
    }

    private static Tensor XyxyToCxcywh(Tensor boxes)
    {
        var (x1, y1, x2, y2) = Unbind(boxes);
        using var two = 2.0.ToScalar();
        return stack(new[] { x1.add(x2, DetectionScalars.One).div(two), y1.add(y2, DetectionScalars.One).div(two), x2.sub(x1), y2.sub(y1) }, -1);
    }
}
