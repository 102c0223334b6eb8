using System;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection;

/// <summary>
/// FCOS's box parameterisation (torchvision's <c>det_utils.BoxLinearCoder</c>): the distances from a reference box's
/// centre to the four sides of a box (left, top, right, bottom), divided by the reference's width and height when
/// <see cref="NormalizeBySize"/> is set.
/// </summary>
public sealed class BoxLinearCoder
{
    /// <summary>Creates the coder.</summary>
    /// <param name="normalizeBySize">Divide the distances by the reference box's width and height (FCOS: true).</param>
    public BoxLinearCoder(bool normalizeBySize = true) => NormalizeBySize = normalizeBySize;

    /// <summary>Whether the distances are in units of the reference box's size.</summary>
    public bool NormalizeBySize { get; }

    /// <summary>The distances from the reference boxes' centres to the sides of the boxes.</summary>
    /// <param name="referenceBoxes">[..., 4] reference boxes (anchors).</param>
    /// <param name="boxes">[..., 4] boxes (ground truth), broadcastable with the references.</param>
    /// <returns>[..., 4] (left, top, right, bottom).</returns>
    public Tensor Encode(Tensor referenceBoxes, Tensor boxes)
    {
        BoxChecks.Boxes(referenceBoxes, nameof(referenceBoxes), anyLeading: true, floating: true);
        BoxChecks.Boxes(boxes, nameof(boxes), anyLeading: true, floating: true);
        BoxChecks.SameDevice(boxes, nameof(boxes), referenceBoxes, nameof(referenceBoxes));
        using var scope = NewDisposeScope();
        var (cx, cy) = Centre(referenceBoxes);
        var targets = stack(new[]
        {
            cx.sub(boxes[TensorIndex.Ellipsis, 0]), cy.sub(boxes[TensorIndex.Ellipsis, 1]),
            boxes[TensorIndex.Ellipsis, 2].sub(cx), boxes[TensorIndex.Ellipsis, 3].sub(cy),
        }, -1);
        if (NormalizeBySize)
            targets = targets.div(Sizes(referenceBoxes));
        return targets.MoveToOuterDisposeScope();
    }

    /// <summary>Boxes from side distances to the reference boxes' centres.</summary>
    /// <param name="codes">[..., 4] (left, top, right, bottom).</param>
    /// <param name="boxes">[..., 4] reference boxes, converted to the codes' dtype.</param>
    /// <returns>[..., 4] boxes (x1, y1, x2, y2).</returns>
    public Tensor Decode(Tensor codes, Tensor boxes)
    {
        BoxChecks.Boxes(codes, nameof(codes), anyLeading: true, floating: true);
        BoxChecks.Boxes(boxes, nameof(boxes), anyLeading: true);
        BoxChecks.SameDevice(boxes, nameof(boxes), codes, nameof(codes));
        using var scope = NewDisposeScope();
        var reference = boxes.to(codes.dtype);
        var (cx, cy) = Centre(reference);
        var distances = NormalizeBySize ? codes.mul(Sizes(reference)) : codes;
        return stack(new[]
        {
            cx.sub(distances[TensorIndex.Ellipsis, 0]), cy.sub(distances[TensorIndex.Ellipsis, 1]),
            cx.add(distances[TensorIndex.Ellipsis, 2], DetectionScalars.One), cy.add(distances[TensorIndex.Ellipsis, 3], DetectionScalars.One),
        }, -1).MoveToOuterDisposeScope();
    }

    /// <summary><c>0.5 * (x1 + x2)</c>, <c>0.5 * (y1 + y2)</c>, torchvision's order.</summary>
    private static (Tensor X, Tensor Y) Centre(Tensor boxes) =>
        (boxes[TensorIndex.Ellipsis, 0].add(boxes[TensorIndex.Ellipsis, 2], DetectionScalars.One).mul(DetectionScalars.Half),
         boxes[TensorIndex.Ellipsis, 1].add(boxes[TensorIndex.Ellipsis, 3], DetectionScalars.One).mul(DetectionScalars.Half));

    private static Tensor Sizes(Tensor boxes)
    {
        var w = boxes[TensorIndex.Ellipsis, 2].sub(boxes[TensorIndex.Ellipsis, 0]);
        var h = boxes[TensorIndex.Ellipsis, 3].sub(boxes[TensorIndex.Ellipsis, 1]);
        return stack(new[] { w, h, w, h }, -1);
    }
}
