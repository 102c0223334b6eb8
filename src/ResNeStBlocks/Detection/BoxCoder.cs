using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection;

/// <summary>
/// The R-CNN box parameterisation (torchvision's <c>det_utils.BoxCoder</c>): a box relative to a reference box as
/// weighted centre offsets in units of the reference's size and weighted log size ratios. Faster R-CNN's RPN uses
/// weights (1, 1, 1, 1), its box head (10, 10, 5, 5); decoding clamps the size ratios at <see cref="BboxXformClip"/>.
/// </summary>
public sealed class BoxCoder
{
    /// <summary>torchvision's default clamp of the decoded log size ratios, <c>log(1000 / 16)</c>.</summary>
    public static readonly double DefaultBboxXformClip = Math.Log(1000.0 / 16);

    private readonly Scalar wx;
    private readonly Scalar wy;
    private readonly Scalar ww;
    private readonly Scalar wh;
    private readonly Scalar clip;

    /// <summary>Creates the coder.</summary>
    /// <param name="weights">The weights of dx, dy, dw and dh.</param>
    /// <param name="bboxXformClip">The largest decoded log size ratio (default <c>log(1000 / 16)</c>).</param>
    public BoxCoder((double X, double Y, double Width, double Height) weights, double? bboxXformClip = null)
    {
        foreach (var (value, part) in new[] { (weights.X, "X"), (weights.Y, "Y"), (weights.Width, "Width"), (weights.Height, "Height") })
            if (!(value > 0) || double.IsInfinity(value))
                throw new ArgumentOutOfRangeException(nameof(weights), value, $"weights.{part} must be a positive number.");
        double clamp = bboxXformClip ?? DefaultBboxXformClip;
        if (double.IsNaN(clamp))
            throw new ArgumentOutOfRangeException(nameof(bboxXformClip), clamp, "bboxXformClip must be a number.");
        Weights = weights;
        BboxXformClip = clamp;
        wx = weights.X;
        wy = weights.Y;
        ww = weights.Width;
        wh = weights.Height;
        clip = clamp;
    }

    /// <summary>The weights of dx, dy, dw and dh.</summary>
    public (double X, double Y, double Width, double Height) Weights { get; }

    /// <summary>The largest decoded log size ratio.</summary>
    public double BboxXformClip { get; }

    /// <summary>
    /// The regression targets of boxes relative to proposals (torchvision's <c>encode_single</c>):
    /// <c>wx * (gt_cx - cx) / w</c>, <c>wy * (gt_cy - cy) / h</c>, <c>ww * log(gt_w / w)</c>, <c>wh * log(gt_h / h)</c>.
    /// </summary>
    /// <param name="referenceBoxes">[N, 4] target boxes (x1, y1, x2, y2).</param>
    /// <param name="proposals">[N, 4] boxes they are encoded against.</param>
    /// <returns>[N, 4] targets in the reference boxes' dtype.</returns>
    public Tensor Encode(Tensor referenceBoxes, Tensor proposals)
    {
        BoxChecks.Boxes(referenceBoxes, nameof(referenceBoxes), floating: true);
        BoxChecks.Boxes(proposals, nameof(proposals), floating: true);
        if (proposals.size(0) != referenceBoxes.size(0))
            throw new ArgumentException($"proposals ({proposals.size(0)} boxes) must pair with referenceBoxes ({referenceBoxes.size(0)}).", nameof(proposals));
        BoxChecks.SameDevice(proposals, nameof(proposals), referenceBoxes, nameof(referenceBoxes));
        using var scope = NewDisposeScope();
        var (exCx, exCy, exW, exH) = CentreSize(proposals, unsqueeze: true);
        var (gtCx, gtCy, gtW, gtH) = CentreSize(referenceBoxes, unsqueeze: true);
        var dx = gtCx.sub(exCx).mul(wx).div(exW);
        var dy = gtCy.sub(exCy).mul(wy).div(exH);
        var dw = gtW.div(exW).log().mul(ww);
        var dh = gtH.div(exH).log().mul(wh);
        return cat(new[] { dx, dy, dw, dh }, 1).to(referenceBoxes.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>Encodes per-image boxes (torchvision's <c>encode</c>): one result per image.</summary>
    /// <param name="referenceBoxes">Per image, [N_i, 4] target boxes.</param>
    /// <param name="proposals">Per image, [N_i, 4] boxes they are encoded against.</param>
    /// <returns>Per image, [N_i, 4] targets.</returns>
    public Tensor[] Encode(IReadOnlyList<Tensor> referenceBoxes, IReadOnlyList<Tensor> proposals)
    {
        ArgumentNullException.ThrowIfNull(referenceBoxes);
        ArgumentNullException.ThrowIfNull(proposals);
        if (referenceBoxes.Count != proposals.Count)
            throw new ArgumentException($"Got {proposals.Count} proposal tensors for {referenceBoxes.Count} images.", nameof(proposals));
        using var scope = NewDisposeScope();
        var all = Encode(cat(referenceBoxes.ToList(), 0), cat(proposals.ToList(), 0));
        var parts = all.split(referenceBoxes.Select(b => b.size(0)).ToArray(), 0);
        foreach (var part in parts)
            part.MoveToOuterDisposeScope();
        return parts;
    }

    /// <summary>
    /// Boxes from regression codes (torchvision's <c>decode_single</c>): codes [N, 4k] against boxes [N, 4] give
    /// [N, 4k] boxes, the size ratios clamped at <see cref="BboxXformClip"/> before the exponential.
    /// </summary>
    /// <param name="codes">[N, 4k] codes (dx, dy, dw, dh per class).</param>
    /// <param name="boxes">[N, 4] reference boxes (anchors or proposals), converted to the codes' dtype.</param>
    /// <returns>[N, 4k] boxes (x1, y1, x2, y2 per class).</returns>
    public Tensor DecodeSingle(Tensor codes, Tensor boxes)
    {
        ArgumentNullException.ThrowIfNull(codes);
        BoxChecks.Boxes(boxes, nameof(boxes));
        if (codes.dim() != 2 || codes.size(0) != boxes.size(0) || codes.size(1) % 4 != 0)
            throw new ArgumentException(
                $"codes must have shape [{boxes.size(0)}, 4k] (dx, dy, dw, dh per class for each box), got {BoxChecks.Shape(codes)}.", nameof(codes));
        BoxChecks.SameDevice(boxes, nameof(boxes), codes, nameof(codes));
        using var scope = NewDisposeScope();
        var reference = boxes.to(codes.dtype);
        var (cx, cy, w, h) = CentreSize(reference, unsqueeze: true);
        var dx = codes[.., TensorIndex.Slice(0, null, 4)].div(wx);
        var dy = codes[.., TensorIndex.Slice(1, null, 4)].div(wy);
        var dw = codes[.., TensorIndex.Slice(2, null, 4)].div(ww).clamp_max(clip);
        var dh = codes[.., TensorIndex.Slice(3, null, 4)].div(wh).clamp_max(clip);
        var predCx = dx.mul(w).add(cx, DetectionScalars.One);
        var predCy = dy.mul(h).add(cy, DetectionScalars.One);
        var halfW = dw.exp().mul(w).mul(DetectionScalars.Half);
        var halfH = dh.exp().mul(h).mul(DetectionScalars.Half);
        return stack(new[] { predCx.sub(halfW), predCy.sub(halfH), predCx.add(halfW, DetectionScalars.One), predCy.add(halfH, DetectionScalars.One) }, 2)
            .flatten(1).MoveToOuterDisposeScope();
    }

    /// <summary>Decodes against per-image boxes (torchvision's <c>decode</c>): [sum N_i, k, 4].</summary>
    /// <param name="codes">Codes for all boxes of all images, reshaped to [sum N_i, 4k].</param>
    /// <param name="boxes">Per image, [N_i, 4] reference boxes.</param>
    /// <returns>[sum N_i, k, 4] boxes.</returns>
    public Tensor Decode(Tensor codes, IReadOnlyList<Tensor> boxes)
    {
        ArgumentNullException.ThrowIfNull(codes);
        ArgumentNullException.ThrowIfNull(boxes);
        using var scope = NewDisposeScope();
        var all = cat(boxes.ToList(), 0);
        long count = all.size(0);
        if (count == 0)
            return DecodeSingle(codes, all).MoveToOuterDisposeScope();
        return DecodeSingle(codes.reshape(count, -1), all).reshape(count, -1, 4).MoveToOuterDisposeScope();
    }

    /// <summary>Centres and sizes as torchvision computes them (<c>x1 + 0.5 * w</c>), as [N, 1] columns.</summary>
    private static (Tensor Cx, Tensor Cy, Tensor W, Tensor H) CentreSize(Tensor boxes, bool unsqueeze)
    {
        var x1 = boxes[.., 0..1];
        var y1 = boxes[.., 1..2];
        var w = boxes[.., 2..3].sub(x1);
        var h = boxes[.., 3..4].sub(y1);
        return (x1.add(w.mul(DetectionScalars.Half), DetectionScalars.One), y1.add(h.mul(DetectionScalars.Half), DetectionScalars.One), w, h);
    }
}
