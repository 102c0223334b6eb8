using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;
using ResNeStBlocks.Backbones;
using ResNet = ResNeStBlocks.Backbones.ResNet;
using ResNeStBlocks.Blocks;
using ResNeStBlocks.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Benchmarks.Stress;

/// <summary>
/// <c>stress [STEPS]</c>: trains a small ResNet for STEPS steps with each of four optimizers (the library's
/// <see cref="Sgd"/> and <see cref="AdamW"/>, TorchSharp's <c>optim.SGD</c> and <c>optim.AdamW</c>) while another thread
/// allocates and collects without pause, and prints the failed steps of each: a step fails when it throws (TorchSharp
/// 0.107 reports a Scalar freed during its native call as "Unknown scalar type") or its loss is not finite.
/// </summary>
/// <remarks>
/// The collector makes finalizers run at any moment, as a busy application does. TorchSharp's optimizers pass
/// temporary Scalars to every update; the library's hold theirs. Everything else (the model's forward and backward) is
/// the same for all four, so the difference is the optimizers'. Exit code 0 when the library's optimizers failed no step.
/// </remarks>
public static class StressCommand
{
    private const int BatchSize = 8;

    public static int Run(int steps, TextWriter output)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        var optimizers = new (string Name, bool Library, Func<IEnumerable<Parameter>, optim.Optimizer> Create)[]
        {
            ("ResNeStBlocks Sgd", true, p => new Sgd(p, 0.01, momentum: 0.9, weightDecay: 1e-4)),
            ("ResNeStBlocks AdamW", true, p => new Training.AdamW(p, 1e-3, weightDecay: 0.05)),
            ("TorchSharp optim.SGD", false, p => optim.SGD(p, 0.01, momentum: 0.9, weight_decay: 1e-4)),
            ("TorchSharp optim.AdamW", false, p => optim.AdamW(p, 1e-3, weight_decay: 0.05)),
        };
        output.WriteLine($"stress: {steps:N0} training steps per optimizer (ResNet of basic blocks, batch {BatchSize}, 16x16) while a thread allocates and collects");
        output.WriteLine($"{"optimizer",-24} {"failed steps",12} {"in step()",10} {"steps/s",8}  first failure");
        int libraryFailures = 0;
        foreach (var (name, library, create) in optimizers)
        {
            var result = Train(steps, create);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-24} {result.Failed,12:N0} {result.FailedInStep,10:N0} {result.StepsPerSecond,8:F1}  {result.FirstFailure ?? "-"}"));
            output.Flush();
            if (library)
                libraryFailures += result.Failed;
        }
        return libraryFailures == 0 ? 0 : 1;
    }

    private sealed record Outcome(int Failed, int FailedInStep, double StepsPerSecond, string? FirstFailure);

    private static Outcome Train(int steps, Func<IEnumerable<Parameter>, optim.Optimizer> create)
    {
        manual_seed(0);
        using var model = new ResNet(new ResNetConfig(new BasicBlockSpec(), new[] { 1, 1 })
        {
            Channels = new[] { 8, 16 },
            StemWidth = 8,
            NumClasses = 10,
        });
        model.train();
        using var optimizer = create(model.parameters());
        var generator = new Generator(1);
        using var images = randn(new long[] { 64, 3, 16, 16 }, generator: generator);
        using var labels = randint(0, 10, new long[] { 64 }, generator: generator);

        using var stop = new CancellationTokenSource();
        var pressure = new Thread(() => Pressure(stop.Token)) { IsBackground = true, Name = "GC pressure" };
        pressure.Start();
        int failed = 0, failedInStep = 0;
        string? first = null;
        var clock = Stopwatch.StartNew();
        for (int step = 0; step < steps; step++)
        {
            bool inStep = false;
            try
            {
                using var scope = NewDisposeScope();
                long start = step * BatchSize % images.shape[0];
                model.zero_grad();
                var loss = nn.functional.cross_entropy(model.call(images.narrow(0, start, BatchSize)), labels.narrow(0, start, BatchSize));
                loss.backward();
                inStep = true;
                optimizer.step();
                if (!float.IsFinite(loss.item<float>()))
                    throw new ArithmeticException("the loss is not finite");
            }
            catch (Exception e)
            {
                failed++;
                if (inStep)
                    failedInStep++;
                first ??= $"step {step + 1}: {e.GetType().Name}: {FirstLine(e.Message)}";
            }
        }
        double rate = steps / clock.Elapsed.TotalSeconds;
        stop.Cancel();
        pressure.Join();
        return new Outcome(failed, failedInStep, rate, first);
    }

    /// <summary>Allocates short-lived garbage and forces collections (and finalizers) until cancelled.</summary>
    private static void Pressure(CancellationToken stop)
    {
        var keep = new object[64];
        int i = 0;
        while (!stop.IsCancellationRequested)
        {
            for (int n = 0; n < 1_000; n++)
                keep[i++ % keep.Length] = new byte[256];
            // Young collections: the temporaries of a training step die young, and the finalizer thread frees them at once.
            // One every millisecond or so leaves the training thread time to run between them.
            GC.Collect(0, GCCollectionMode.Forced, blocking: true);
            Thread.Sleep(1);
        }
    }

    private static string FirstLine(string message)
    {
        int end = message.IndexOf('\n', StringComparison.Ordinal);
        return (end < 0 ? message : message[..end]).Trim();
    }
}
