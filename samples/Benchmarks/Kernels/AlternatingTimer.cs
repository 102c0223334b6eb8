using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;

namespace ResNeStBlocks.Benchmarks.Kernels;

/// <summary>
/// Times several variants of one computation in alternating rounds (A, B, C, A, B, C, ...), so that load
/// from other processes on a shared machine falls on every variant alike; reports each variant's median.
/// </summary>
public static class AlternatingTimer
{
    public static IReadOnlyList<(string Name, double MedianMs)> Run(IReadOnlyList<(string Name, Action Body)> variants, int warmup, int rounds)
    {
        for (int i = 0; i < warmup; i++)
            foreach (var (_, body) in variants)
                body();
        var samples = variants.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round < rounds; round++)
            for (int v = 0; v < variants.Count; v++)
            {
                var watch = Stopwatch.StartNew();
                variants[v].Body();
                samples[v].Add(watch.Elapsed.TotalMilliseconds);
            }
        return variants.Select((v, i) => (v.Name, Median(samples[i]))).ToArray();
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        int n = values.Count;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }
}
