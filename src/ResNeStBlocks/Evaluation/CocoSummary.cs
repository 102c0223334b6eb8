using System;
using System.Collections.Generic;

namespace ResNeStBlocks.Evaluation;

/// <summary>
/// pycocotools' <c>summarize</c>: the 12 numbers of a COCO detection evaluation, each the mean of the entries above
/// -1 (-1 when there is none): AP over IoU 0.50:0.95, at 0.50, at 0.75, for small, medium and large objects (100
/// detections); AR at 1, 10 and 100 detections, and for small, medium and large objects.
/// </summary>
public sealed class CocoSummary
{
    /// <summary>The names of <see cref="Stats"/>, in order.</summary>
    public static IReadOnlyList<string> Names { get; } = Array.AsReadOnly(new[] { "AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl" });

    private readonly double[] _stats;

    internal CocoSummary(double[] stats)
    {
        _stats = stats;
    }

    /// <summary>The 12 numbers, in pycocotools' order (<see cref="Names"/>).</summary>
    public IReadOnlyList<double> Stats => Array.AsReadOnly(_stats);

    /// <summary>AP at IoU 0.50:0.95, all areas, 100 detections: COCO's headline number.</summary>
    public double AP => _stats[0];

    /// <summary>AP at IoU 0.50.</summary>
    public double AP50 => _stats[1];

    /// <summary>AP at IoU 0.75.</summary>
    public double AP75 => _stats[2];

    /// <summary>AP of small objects (area up to 32²).</summary>
    public double APSmall => _stats[3];

    /// <summary>AP of medium objects (area 32² to 96²).</summary>
    public double APMedium => _stats[4];

    /// <summary>AP of large objects (area from 96²).</summary>
    public double APLarge => _stats[5];

    /// <summary>AR with 1 detection per image and category.</summary>
    public double AR1 => _stats[6];

    /// <summary>AR with 10 detections.</summary>
    public double AR10 => _stats[7];

    /// <summary>AR with 100 detections.</summary>
    public double AR100 => _stats[8];

    /// <summary>AR of small objects.</summary>
    public double ARSmall => _stats[9];

    /// <summary>AR of medium objects.</summary>
    public double ARMedium => _stats[10];

    /// <summary>AR of large objects.</summary>
    public double ARLarge => _stats[11];

    /// <summary>The 12 lines pycocotools prints, e.g. <c> Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.372</c>.</summary>
    public override string ToString()
    {
        var lines = new string[12];
        for (int i = 0; i < 12; i++)
        {
            bool ap = i < 6;
            string iou = i == 1 ? "0.50     " : i == 2 ? "0.75     " : "0.50:0.95";
            string area = i is 3 or 9 ? "small" : i is 4 or 10 ? "medium" : i is 5 or 11 ? "large" : "all";
            int maxDets = i == 6 ? 1 : i == 7 ? 10 : 100;
            lines[i] = string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $" {(ap ? "Average Precision" : "Average Recall"),-18} {(ap ? "(AP)" : "(AR)")} @[ IoU={iou} | area={area,6} | maxDets={maxDets,3} ] = {_stats[i]:0.000}");
        }
        return string.Join(Environment.NewLine, lines);
    }

    internal static CocoSummary From(double[,,,,] precision, double[,,,] recall)
    {
        int t50 = IndexOf(CocoParameters.IouThresholds, 0.5), t75 = IndexOf(CocoParameters.IouThresholds, 0.75);
        var stats = new double[12];
        stats[0] = Precision(precision, -1, 0, 2);
        stats[1] = Precision(precision, t50, 0, 2);
        stats[2] = Precision(precision, t75, 0, 2);
        stats[3] = Precision(precision, -1, 1, 2);
        stats[4] = Precision(precision, -1, 2, 2);
        stats[5] = Precision(precision, -1, 3, 2);
        stats[6] = Recall(recall, 0, 0);
        stats[7] = Recall(recall, 0, 1);
        stats[8] = Recall(recall, 0, 2);
        stats[9] = Recall(recall, 1, 2);
        stats[10] = Recall(recall, 2, 2);
        stats[11] = Recall(recall, 3, 2);
        return new CocoSummary(stats);
    }

    /// <summary>The mean precision above -1 at one threshold (or all with -1; none when the threshold is absent), one area, one max-detections, over every category.</summary>
    internal static double Precision(double[,,,,] precision, int threshold, int area, int maxDets, int category = -1)
    {
        var mean = new MeanAboveMinusOne();
        if (threshold == -2)
            return -1;
        for (int t = 0; t < precision.GetLength(0); t++)
        {
            if (threshold >= 0 && t != threshold)
                continue;
            for (int r = 0; r < precision.GetLength(1); r++)
                for (int k = 0; k < precision.GetLength(2); k++)
                    if (category < 0 || k == category)
                        mean.Add(precision[t, r, k, area, maxDets]);
        }
        return mean.Value;
    }

    private static double Recall(double[,,,] recall, int area, int maxDets)
    {
        var mean = new MeanAboveMinusOne();
        for (int t = 0; t < recall.GetLength(0); t++)
            for (int k = 0; k < recall.GetLength(1); k++)
                mean.Add(recall[t, k, area, maxDets]);
        return mean.Value;
    }

    // np.where(iouThr == p.iouThrs): an exact comparison; -2 (nothing selected) when no threshold equals it.
    private static int IndexOf(IReadOnlyList<double> values, double value)
    {
        for (int i = 0; i < values.Count; i++)
            if (values[i] == value)
                return i;
        return -2;
    }

    private struct MeanAboveMinusOne
    {
        private double _sum;
        private long _count;

        public void Add(double value)
        {
            if (value > -1)
            {
                _sum += value;
                _count++;
            }
        }

        public readonly double Value => _count == 0 ? -1 : _sum / _count;
    }
}
