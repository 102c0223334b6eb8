using System;
using System.Collections.Generic;

namespace ResNeStBlocks.Evaluation;

/// <summary>
/// pycocotools' default detection parameters (<c>Params.setDetParams</c>), with the thresholds computed as
/// <c>np.linspace</c> computes them, so comparisons at a threshold fall the same way bit for bit.
/// </summary>
public static class CocoParameters
{
    /// <summary>The 10 IoU thresholds 0.50, 0.55, ..., 0.95.</summary>
    public static IReadOnlyList<double> IouThresholds { get; } = Array.AsReadOnly(Linspace(0.5, 0.95, 10));

    /// <summary>The 101 recall thresholds 0, 0.01, ..., 1.</summary>
    public static IReadOnlyList<double> RecallThresholds { get; } = Array.AsReadOnly(Linspace(0.0, 1.0, 101));

    /// <summary>The most detections per image and category that count: 1, 10, 100.</summary>
    public static IReadOnlyList<int> MaxDetections { get; } = Array.AsReadOnly(new[] { 1, 10, 100 });

    /// <summary>The area ranges all, small, medium, large: [0, 1e10], [0, 32²], [32², 96²], [96², 1e10] (bounds inclusive).</summary>
    public static IReadOnlyList<(string Name, double Min, double Max)> AreaRanges { get; } = Array.AsReadOnly(new[]
    {
        ("all", 0.0, 1e10), ("small", 0.0, 32.0 * 32), ("medium", 32.0 * 32, 96.0 * 96), ("large", 96.0 * 96, 1e10),
    });

    /// <summary><c>np.linspace(start, stop, num)</c>: <c>start + i * ((stop - start) / (num - 1))</c>, the last exactly <c>stop</c>.</summary>
    private static double[] Linspace(double start, double stop, int num)
    {
        double step = (stop - start) / (num - 1);
        var values = new double[num];
        for (int i = 0; i < num; i++)
            values[i] = i * step + start;
        values[num - 1] = stop;
        return values;
    }
}
