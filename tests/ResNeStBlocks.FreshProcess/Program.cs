using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using ResNeStBlocks.Layers;
using ResNeStBlocks.Runtime;
using ResNeStBlocks.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.FreshProcess;

/// <summary>
/// <c>network</c>: builds a network from the library's layers behind a plain TorchSharp convolution, trains it a few
/// steps and compares every float32 convolution in it with float64, never calling any runtime set-up.
/// <c>allocator on|off</c>: counts the page faults of re-allocating 64 MiB in 1 MiB blocks, with or without
/// <see cref="GlibcAllocator.KeepFreedMemory"/>.
/// </summary>
internal static class Program
{
    private static readonly Scalar Half = 0.5;

    private static int Main(string[] args)
    {
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        return args.FirstOrDefault() switch
        {
            "network" => Network(),
            "allocator" when args.Length == 2 => Allocator(args[1] == "on"),
            _ => Usage(),
        };
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: ResNeStBlocks.FreshProcess network | allocator on|off");
        return 2;
    }

    private static int Network()
    {
        var generator = new Generator(3);
        using var network = nn.Sequential(
            ("stem", nn.Conv2d(3, 26, 3, padding: 1)),   // TorchSharp's own convolution runs first in every forward
            ("convNormAct", new ConvNormAct(26, 26, 3)),
            ("splitAttention", new SplitAttention(26)),
            ("squeezeExcite", new SqueezeExcite(26)),
            ("pool", nn.AdaptiveAvgPool2d(1)),
            ("flatten", nn.Flatten()),
            ("classifier", nn.Linear(26, 4)));
        var check = NativeRuntime.CpuConvolutionCheck;
        Console.WriteLine(check is null ? "automatic check: skipped" : $"automatic check: ran, {check}");

        using var optimizer = new Sgd(network.parameters(), 0.05, momentum: 0.9);
        network.train();
        bool finite = true;
        for (int step = 1; step <= 5; step++)
        {
            using var scope = NewDisposeScope();
            var images = rand(new long[] { 8, 3, 16, 16 }, generator: generator).sub_(Half);
            var labels = randint(0, 4, new long[] { 8 }, generator: generator);
            network.zero_grad();
            var loss = nn.functional.cross_entropy(network.call(images), labels);
            loss.backward();
            optimizer.step();
            double value = loss.item<float>();
            finite &= double.IsFinite(value);
            Console.WriteLine($"loss {step}: {value:F4}");
        }
        Console.WriteLine($"losses finite: {finite}");

        double worst = 0;
        using (no_grad())
        {
            foreach (var convolution in network.modules().OfType<Conv2d>())
            {
                using var scope = NewDisposeScope();
                var weight = convolution.weight!;
                var input = rand(new long[] { 2, weight.shape[1] * convolution.groups, 8, 8 }, generator: generator).sub_(Half);
                var single = nn.functional.conv2d(input, weight, null, convolution.stride, convolution.padding, convolution.dilation, convolution.groups);
                var reference = nn.functional.conv2d(input.to(ScalarType.Float64), weight.to(ScalarType.Float64), null,
                    convolution.stride, convolution.padding, convolution.dilation, convolution.groups);
                double error = single.to(ScalarType.Float64).sub_(reference).abs_().max().item<double>() / reference.abs().max().item<double>();
                worst = Math.Max(worst, error);
            }
        }
        Console.WriteLine($"largest float32 convolution error: {worst:E2}");
        return 0;
    }

    private static unsafe int Allocator(bool keep)
    {
        if (keep)
            Console.WriteLine($"applied: {GlibcAllocator.KeepFreedMemory()}, again: {GlibcAllocator.KeepFreedMemory()}, IsApplied: {GlibcAllocator.IsApplied}");
        const int Blocks = 64, Size = 1 << 20;
        var blocks = new byte*[Blocks];
        long faultsAfterFirstRound = 0;
        for (int round = 0; round < 4; round++)
        {
            if (round == 1)
                faultsAfterFirstRound = MinorFaults();
            for (int i = 0; i < Blocks; i++)
            {
                blocks[i] = (byte*)NativeMemory.Alloc(Size);
                for (int offset = 0; offset < Size; offset += 4096)
                    blocks[i][offset] = 1;
            }
            for (int i = Blocks - 1; i >= 0; i--)
                NativeMemory.Free(blocks[i]);
        }
        Console.WriteLine($"minor faults in rounds 2-4: {MinorFaults() - faultsAfterFirstRound}");
        return 0;
    }

    /// <summary>The process's minor page faults so far (field 10 of /proc/self/stat).</summary>
    private static long MinorFaults()
    {
        string stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[7], CultureInfo.InvariantCulture);
    }
}
