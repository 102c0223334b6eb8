using System;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection;

/// <summary>
/// torchvision's box operations (<c>torchvision.ops.boxes</c>) with its exact formulas, on any device, differentiable
/// where torchvision's are. Boxes are [N, 4] tensors of (x1, y1, x2, y2) unless a method says otherwise.
/// </summary>
public static partial class BoxOps
{
    /// <summary>The area of each box, <c>(x2 - x1) * (y2 - y1)</c> (torchvision's <c>box_area</c>).</summary>
    /// <param name="boxes">[N, 4] boxes (x1, y1, x2, y2).</param>
    /// <returns>[N] areas; float16 and bfloat16 boxes give float32 areas, as torchvision's upcast does.</returns>
    public static Tensor BoxArea(Tensor boxes)
    {
        BoxChecks.Boxes(boxes, nameof(boxes));
        using var scope = NewDisposeScope();
        return Area(Upcast(boxes)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The intersection over union of every pair (torchvision's <c>box_iou</c>): <c>inter / (area1 + area2 - inter)</c>,
    /// with the intersection's sides clamped at 0. Two empty boxes give NaN (0 / 0), as in torchvision.
    /// </summary>
    /// <param name="boxes1">[N, 4] boxes.</param>
    /// <param name="boxes2">[M, 4] boxes of the same dtype, on the same device.</param>
    /// <returns>[N, M] IoU.</returns>
    public static Tensor BoxIou(Tensor boxes1, Tensor boxes2)
    {
        CheckPair(boxes1, boxes2);
        using var scope = NewDisposeScope();
        var (inter, union) = InterUnion(boxes1, boxes2);
        return inter.div(union).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The generalized IoU of every pair (torchvision's <c>generalized_box_iou</c>): IoU minus the share of the smallest
    /// enclosing box that the union does not cover. Boxes must satisfy x2 &gt;= x1 and y2 &gt;= y1 (not checked here:
    /// checking would read the tensor back to the host).
    /// </summary>
    /// <param name="boxes1">[N, 4] boxes.</param>
    /// <param name="boxes2">[M, 4] boxes of the same dtype, on the same device.</param>
    /// <returns>[N, M] generalized IoU, in [-1, 1].</returns>
    public static Tensor GeneralizedBoxIou(Tensor boxes1, Tensor boxes2)
    {
        CheckPair(boxes1, boxes2);
        using var scope = NewDisposeScope();
        var a = boxes1;
        var b = boxes2;
        var (inter, union) = InterUnion(a, b);
        var iou = inter.div(union);
        var enclosingTopLeft = minimum(a[.., TensorIndex.None, ..2], b[.., ..2]);
        var enclosingBottomRight = maximum(a[.., TensorIndex.None, 2..], b[.., 2..]);
        var enclosingSides = Upcast(enclosingBottomRight.sub(enclosingTopLeft)).clamp_min(DetectionScalars.Zero);
        var enclosingArea = enclosingSides[.., .., 0].mul(enclosingSides[.., .., 1]);
        return iou.sub(enclosingArea.sub(union).div(enclosingArea)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Intersection and union of every pair, as torchvision's <c>_box_inter_union</c> computes them: corners in the
    /// boxes' dtype, side lengths and areas upcast.
    /// </summary>
    internal static (Tensor Inter, Tensor Union) InterUnion(Tensor a, Tensor b)
    {
        var area1 = Area(Upcast(a));
        var area2 = Area(Upcast(b));
        var topLeft = maximum(a[.., TensorIndex.None, ..2], b[.., ..2]);
        var bottomRight = minimum(a[.., TensorIndex.None, 2..], b[.., 2..]);
        var sides = Upcast(bottomRight.sub(topLeft)).clamp_min(DetectionScalars.Zero);
        var inter = sides[.., .., 0].mul(sides[.., .., 1]);
        var union = area1[.., TensorIndex.None].add(area2, DetectionScalars.One).sub(inter);
        return (inter, union);
    }

    internal static Tensor Area(Tensor boxes) =>
        boxes[.., 2].sub(boxes[.., 0]).mul(boxes[.., 3].sub(boxes[.., 1]));

    /// <summary>torchvision's <c>_upcast</c>: half-precision boxes are measured in float32 so that products do not overflow.</summary>
    internal static Tensor Upcast(Tensor boxes) =>
        boxes.dtype is ScalarType.Float16 or ScalarType.BFloat16 ? boxes.to(ScalarType.Float32) : boxes.alias();

    private static void CheckPair(Tensor boxes1, Tensor boxes2)
    {
        BoxChecks.Boxes(boxes1, nameof(boxes1));
        BoxChecks.Boxes(boxes2, nameof(boxes2));
        if (boxes1.dtype != boxes2.dtype)
            throw new ArgumentException($"boxes1 ({boxes1.dtype}) and boxes2 ({boxes2.dtype}) must have one dtype.", nameof(boxes2));
        BoxChecks.SameDevice(boxes2, nameof(boxes2), boxes1, nameof(boxes1));
    }
}
