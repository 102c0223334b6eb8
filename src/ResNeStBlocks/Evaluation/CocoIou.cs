using System;
using System.Collections.Generic;

namespace ResNeStBlocks.Evaluation;

/// <summary>
/// pycocotools' <c>iou</c>: the overlap of every detection with every ground truth, <c>[detection, groundTruth]</c>.
/// Against a crowd ground truth the overlap is the intersection over the detection's own area, so a detection inside a
/// crowd region scores 1.
/// </summary>
public static class CocoIou
{
    /// <summary>Box IoU (<c>bbIou</c>); boxes that only touch overlap 0.</summary>
    public static double[,] Boxes(IReadOnlyList<CocoBox> detections, IReadOnlyList<CocoBox> groundTruths, IReadOnlyList<bool> isCrowd)
    {
        Check(detections, groundTruths, isCrowd);
        var o = new double[detections.Count, groundTruths.Count];
        for (int g = 0; g < groundTruths.Count; g++)
        {
            var gt = groundTruths[g];
            double ga = gt.Width * gt.Height;
            bool crowd = isCrowd[g];
            for (int d = 0; d < detections.Count; d++)
                o[d, g] = BoxIou(detections[d], gt, ga, crowd);
        }
        return o;
    }

    private static double BoxIou(CocoBox dt, CocoBox gt, double ga, bool crowd)
    {
        double da = dt.Width * dt.Height;
        double w = Math.Min(dt.Width + dt.X, gt.Width + gt.X) - Math.Max(dt.X, gt.X);
        if (w <= 0)
            return 0;
        double h = Math.Min(dt.Height + dt.Y, gt.Height + gt.Y) - Math.Max(dt.Y, gt.Y);
        if (h <= 0)
            return 0;
        double i = w * h;
        return i / (crowd ? da : da + ga - i);
    }

    /// <summary>
    /// Mask IoU (<c>rleIou</c>): pairs whose bounding boxes do not overlap are 0 without walking the runs; masks of
    /// different sizes overlap -1, as in pycocotools.
    /// </summary>
    public static double[,] Masks(IReadOnlyList<RunLengthMask> detections, IReadOnlyList<RunLengthMask> groundTruths, IReadOnlyList<bool> isCrowd)
    {
        Check(detections, groundTruths, isCrowd);
        var dtBoxes = new CocoBox[detections.Count];
        for (int d = 0; d < dtBoxes.Length; d++)
            dtBoxes[d] = detections[d].ToBox();
        var gtBoxes = new CocoBox[groundTruths.Count];
        for (int g = 0; g < gtBoxes.Length; g++)
            gtBoxes[g] = groundTruths[g].ToBox();
        var o = Boxes(dtBoxes, gtBoxes, isCrowd);
        for (int g = 0; g < gtBoxes.Length; g++)
            for (int d = 0; d < dtBoxes.Length; d++)
                if (o[d, g] > 0)
                    o[d, g] = MaskIou(detections[d], groundTruths[g], isCrowd[g]);
        return o;
    }

    private static double MaskIou(RunLengthMask dt, RunLengthMask gt, bool crowd)
    {
        if (dt.Height != gt.Height || dt.Width != gt.Width)
            return -1;
        uint[] a = dt.RawCounts, b = gt.RawCounts;
        uint ca = a[0], cb = b[0], i = 0, u = 0, ct = 1;
        bool va = false, vb = false;
        int ka = 1, kb = 1;
        while (ct > 0)
        {
            uint c = Math.Min(ca, cb);
            if (va || vb)
            {
                u += c;
                if (va && vb)
                    i += c;
            }
            ct = 0;
            ca -= c;
            if (ca == 0 && ka < a.Length) { ca = a[ka++]; va = !va; }
            ct += ca;
            cb -= c;
            if (cb == 0 && kb < b.Length) { cb = b[kb++]; vb = !vb; }
            ct += cb;
        }
        if (i == 0)
            u = 1;
        else if (crowd)
            u = (uint)dt.Area;
        return (double)i / u;
    }

    private static void Check<T>(IReadOnlyList<T> detections, IReadOnlyList<T> groundTruths, IReadOnlyList<bool> isCrowd)
    {
        ArgumentNullException.ThrowIfNull(detections);
        ArgumentNullException.ThrowIfNull(groundTruths);
        ArgumentNullException.ThrowIfNull(isCrowd);
        if (isCrowd.Count != groundTruths.Count)
            throw new ArgumentException($"isCrowd must have one flag per ground truth ({groundTruths.Count}), got {isCrowd.Count}.", nameof(isCrowd));
    }
}
