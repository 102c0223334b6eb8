using System;
using System.Collections.Generic;
using System.Linq;

namespace ResNeStBlocks.Evaluation;

/// <summary>
/// pycocotools' <c>accumulate</c>: per category, area range and max-detections, the detections of every image
/// (each image's first max-detections) in one stable score order, cumulative true and false positives at each IoU
/// threshold, precision made monotone from the right and read at the 101 recall thresholds (<c>searchsorted</c>,
/// left), the final recall; -1 where a category has no unignored ground truth.
/// </summary>
internal static class CocoAccumulation
{
    private static readonly double Spacing = Math.BitIncrement(1.0) - 1.0;

    /// <param name="evaluations">Per category, area range and image (that order), null where the image has neither side.</param>
    /// <returns>Precision <c>[T, R, K, A, M]</c> and recall <c>[T, K, A, M]</c>.</returns>
    public static (double[,,,,] Precision, double[,,,] Recall) Accumulate(ImageEvaluation?[,,] evaluations)
    {
        int k = evaluations.GetLength(0), a = evaluations.GetLength(1), images = evaluations.GetLength(2);
        int t = CocoParameters.IouThresholds.Count, r = CocoParameters.RecallThresholds.Count, m = CocoParameters.MaxDetections.Count;
        var precision = new double[t, r, k, a, m];
        var recall = new double[t, k, a, m];
        Fill(precision, recall);
        var recallThresholds = CocoParameters.RecallThresholds;
        var e = new List<ImageEvaluation>(images);
        for (int ki = 0; ki < k; ki++)
            for (int ai = 0; ai < a; ai++)
            {
                e.Clear();
                for (int i = 0; i < images; i++)
                    if (evaluations[ki, ai, i] is { } x)
                        e.Add(x);
                if (e.Count == 0)
                    continue;
                int npig = e.Sum(x => x.GroundTruthIgnored.Count(ignored => !ignored));
                if (npig == 0)
                    continue;
                for (int mi = 0; mi < m; mi++)
                {
                    int maxDet = CocoParameters.MaxDetections[mi];
                    // Concatenate each image's first maxDet detections, then a stable sort by descending score
                    // (numpy's mergesort of -score): equal scores keep image order.
                    var owner = new List<(ImageEvaluation Image, int Index)>();
                    foreach (var x in e)
                        for (int di = 0; di < Math.Min(maxDet, x.DetectionCount); di++)
                            owner.Add((x, di));
                    var order = Enumerable.Range(0, owner.Count).OrderByDescending(i => owner[i].Image.Scores[owner[i].Index]).ToArray();
                    int nd = order.Length;
                    var rc = new double[nd];
                    var pr = new double[nd];
                    for (int ti = 0; ti < t; ti++)
                    {
                        long tp = 0, fp = 0;
                        for (int j = 0; j < nd; j++)
                        {
                            var (image, index) = owner[order[j]];
                            int flat = ti * image.DetectionCount + index;
                            if (!image.DetectionIgnored[flat])
                            {
                                if (image.Matches[flat] != 0)
                                    tp++;
                                else
                                    fp++;
                            }
                            rc[j] = tp / (double)npig;
                            pr[j] = tp / (fp + (double)tp + Spacing);
                        }
                        recall[ti, ki, ai, mi] = nd > 0 ? rc[nd - 1] : 0;
                        for (int j = nd - 1; j > 0; j--)
                            if (pr[j] > pr[j - 1])
                                pr[j - 1] = pr[j];
                        int pi = 0;
                        for (int ri = 0; ri < r; ri++)
                        {
                            while (pi < nd && rc[pi] < recallThresholds[ri])
                                pi++;
                            precision[ti, ri, ki, ai, mi] = pi < nd ? pr[pi] : 0;
                        }
                    }
                }
            }
        return (precision, recall);
    }

    private static void Fill(double[,,,,] precision, double[,,,] recall)
    {
        if (precision.Length == 0)
            return;
        foreach (ref double p in System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref precision[0, 0, 0, 0, 0], precision.Length))
            p = -1;
        foreach (ref double q in System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref recall[0, 0, 0, 0], recall.Length))
            q = -1;
    }
}
