using System;

namespace ResNeStBlocks.Evaluation;

/// <summary>
/// The matches of one image and one category in one area range: pycocotools' <c>evaluateImg</c> result, in flat
/// arrays indexed <c>[threshold * D + detection]</c> (detections by score, at most the largest max-detections).
/// </summary>
internal sealed class ImageEvaluation
{
    public required double[] Scores { get; init; }

    /// <summary>The matched ground truth's id per threshold and detection; 0 is "unmatched", as in pycocotools.</summary>
    public required long[] Matches { get; init; }

    public required bool[] DetectionIgnored { get; init; }

    public required bool[] GroundTruthIgnored { get; init; }

    public int DetectionCount => Scores.Length;
}

/// <summary>
/// pycocotools' <c>evaluateImg</c>: greedy matching of detections (highest score first) to ground truths at every IoU
/// threshold. Ground truths outside the area range and crowds are ignored and come last; a detection prefers an
/// unignored ground truth and stops at the ignored ones once it has one; a crowd can take any number of detections;
/// unmatched detections outside the area range are ignored.
/// </summary>
internal static class CocoMatching
{
    /// <summary>
    /// Matches one image and category in one area range. <paramref name="ious"/> is <c>[detection, groundTruth]</c>
    /// with detections in score order and ground truths in input order, null when either side is empty;
    /// <paramref name="detectionOrder"/> the detection indices by score (stable), cut to the largest max-detections.
    /// </summary>
    public static ImageEvaluation? Evaluate(
        double[,]? ious, int[] detectionOrder, double[] detectionScores, double[] detectionAreas,
        long[] groundTruthIds, double[] groundTruthAreas, bool[] groundTruthCrowd, double minArea, double maxArea, int maxDetections)
    {
        int allGroundTruths = groundTruthIds.Length;
        if (allGroundTruths == 0 && detectionScores.Length == 0)
            return null;
        var thresholds = CocoParameters.IouThresholds;
        int t = thresholds.Count;

        // Ground truths: ignored ones last, stable.
        var ignored = new bool[allGroundTruths];
        for (int g = 0; g < allGroundTruths; g++)
            ignored[g] = groundTruthCrowd[g] || groundTruthAreas[g] < minArea || groundTruthAreas[g] > maxArea;
        var gtOrder = new int[allGroundTruths];
        int next = 0;
        for (int g = 0; g < allGroundTruths; g++)
            if (!ignored[g])
                gtOrder[next++] = g;
        for (int g = 0; g < allGroundTruths; g++)
            if (ignored[g])
                gtOrder[next++] = g;

        int d = Math.Min(detectionOrder.Length, maxDetections);
        var scores = new double[d];
        for (int i = 0; i < d; i++)
            scores[i] = detectionScores[detectionOrder[i]];
        var gtIgnored = new bool[allGroundTruths];
        for (int g = 0; g < allGroundTruths; g++)
            gtIgnored[g] = ignored[gtOrder[g]];

        var matches = new long[t * d];
        var dtIgnored = new bool[t * d];
        var gtMatched = new bool[t * allGroundTruths];
        if (ious is not null)
        {
            for (int ti = 0; ti < t; ti++)
            {
                for (int di = 0; di < d; di++)
                {
                    double best = Math.Min(thresholds[ti], 1 - 1e-10);
                    int m = -1;
                    for (int gi = 0; gi < allGroundTruths; gi++)
                    {
                        int g = gtOrder[gi];
                        if (gtMatched[ti * allGroundTruths + gi] && !groundTruthCrowd[g])
                            continue;
                        if (m > -1 && !gtIgnored[m] && gtIgnored[gi])
                            break;
                        double iou = ious[di, g];
                        if (iou < best)
                            continue;
                        best = iou;
                        m = gi;
                    }
                    if (m == -1)
                        continue;
                    dtIgnored[ti * d + di] = gtIgnored[m];
                    matches[ti * d + di] = groundTruthIds[gtOrder[m]];
                    gtMatched[ti * allGroundTruths + m] = true;
                }
            }
        }
        for (int di = 0; di < d; di++)
        {
            double area = detectionAreas[detectionOrder[di]];
            if (area < minArea || area > maxArea)
                for (int ti = 0; ti < t; ti++)
                    if (matches[ti * d + di] == 0)
                        dtIgnored[ti * d + di] = true;
        }
        return new ImageEvaluation { Scores = scores, Matches = matches, DetectionIgnored = dtIgnored, GroundTruthIgnored = gtIgnored };
    }
}
