using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;

namespace ResNeStBlocks.Samples.OnnxDeploy;

/// <summary>Wall-clock timing shared by the benchmarks.</summary>
public static class Timing
{
    /// <summary>How long <paramref name="action"/> takes, in milliseconds.</summary>
    public static double Milliseconds(Action action)
    {
        var watch = Stopwatch.StartNew();
        action();
        return watch.Elapsed.TotalMilliseconds;
    }

    /// <summary>The median (the mean of the middle two for an even count).</summary>
    public static double Median(IReadOnlyCollection<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
