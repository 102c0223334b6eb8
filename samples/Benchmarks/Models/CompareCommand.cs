using System;
using ResNeStBlocks.Benchmarks.Kernels;
using static TorchSharp.torch;

namespace ResNeStBlocks.Benchmarks.Models;

/// <summary>
/// <c>compare MODEL BATCH [ROUNDS]</c>: eval-mode inference of the library against its flat twin in
/// alternating rounds in one process, so that load from other processes and the allocator's state fall
/// on both alike (BenchmarkDotNet runs the two one after the other).
/// </summary>
public static class CompareCommand
{
    public static int Run(string model, int batch, int rounds)
    {
        using var pair = new ModelPair(model, batch);
        Console.WriteLine($"{model} batch {batch}: flat baseline verified (max |diff| = {pair.MaxDifference:G3}).");
        var results = AlternatingTimer.Run(new (string, Action)[]
        {
            ("flat functional", () => { using var _ = no_grad(); pair.Flat.Forward(pair.Input, training: false).Dispose(); }),
            ("library", () => { using var _ = no_grad(); pair.Model.call(pair.Input).Dispose(); }),
        }, warmup: 1, rounds);
        foreach (var (name, median) in results)
            Console.WriteLine($"  {name,-16} median {median,10:F1} ms   ratio {median / results[0].MedianMs:F3}");
        return 0;
    }
}
