using System;
using System.Linq;
using BenchmarkDotNet.Running;
using ResNeStBlocks.Benchmarks.Flat;
using ResNeStBlocks.Benchmarks.Kernels;
using ResNeStBlocks.Benchmarks.Measure;
using ResNeStBlocks.Benchmarks.Models;
using ResNeStBlocks.Benchmarks.Runtime;
using ResNeStBlocks.Benchmarks.Stress;

namespace ResNeStBlocks.Benchmarks;

/// <summary>
/// <c>measure ...</c> times a zoo model (see <see cref="MeasureOptions.Usage"/>); <c>stress [STEPS]</c> counts failed
/// training steps of the library's and TorchSharp's optimizers under GC pressure (<see cref="StressCommand"/>); <c>--verify</c> checks the
/// flat baselines against the library; <c>kernels [rounds]</c> compares attention op sequences; <c>compare MODEL BATCH [ROUNDS]</c>
/// alternates library and flat inference; anything else goes to BenchmarkDotNet (<c>--filter '*'</c>).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        try
        {
            if (args.Length > 0 && args[0] == "measure")
                return MeasureCommand.Run(MeasureOptions.Parse(args.Skip(1).ToArray()), Console.Out);
            if (args.Length > 0 && args[0] == "stress")
                return StressCommand.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 2_000, Console.Out);
            var report = BenchmarkRuntime.PrepareCpu();
            Console.WriteLine($"CPU convolution check: {report}");
            if (args.Length > 0 && args[0] == "--verify")
                return Verify();
            if (args.Length > 2 && args[0] == "compare")
                return CompareCommand.Run(args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture),
                    args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 10);
            if (args.Length > 0 && args[0] == "kernels")
                return KernelsCommand.Run(rounds: args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 30);
            BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
            return 0;
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
    }

    private static int Verify()
    {
        foreach (string name in new[] { "resnest50d", "resnest101e" })
        {
            using var pair = new ModelPair(name, batch: 2);
            Console.WriteLine($"{name}: flat baseline equals the library within {BaselineCheck.Tolerance:G} " +
                $"(eval and train mode, max |diff| = {pair.MaxDifference:G3}).");
        }
        return 0;
    }
}
