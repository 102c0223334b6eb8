using System;
using System.Diagnostics;
using System.IO;
using System.Text.Json;
using ResNeStBlocks.Benchmarks.Runtime;
using ResNeStBlocks.Inference;
using ResNeStBlocks.Runtime;
using ResNeStBlocks.Training;
using ResNeStBlocks.Zoo;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Benchmarks.Measure;

/// <summary>
/// Times any zoo model on any device and dtype, inference (eval, no grad) or a training step (SGD on
/// cross-entropy against random labels), and prints one JSON line per model, batch and round.
/// </summary>
/// <remarks>
/// Half-precision inference uses <see cref="HalfPrecision"/> (BatchNorm float32); half-precision training uses
/// <see cref="MixedPrecisionTrainer"/> (float32 masters; float16 with a loss scaler, whose finite-gradient check
/// reads one flag per step). Throughput is <c>iters</c> steps between two synchronisations; latency is measured
/// separately, synchronising after every step. Warm-up steps (at least one) are never timed.
/// </remarks>
public static class MeasureCommand
{
    public const string Implementation = "ResNeStBlocks";

    public static int Run(MeasureOptions options, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        var device = ComputeDevice.Parse(options.Device);
        bool cuda = device.type == DeviceType.CUDA;
        if (options.KeepFreedMemory && !GlibcAllocator.KeepFreedMemory())
            throw new ArgumentException("--keep-freed-memory on needs Linux with glibc; this process has no glibc mallopt.");
        if (!cuda)
            BenchmarkRuntime.PrepareCpu();
        if (options.Threads is { } threads)
            set_num_threads(threads);
        using var settings = CudaSettings.Use(options.CudnnBenchmark, options.Tf32);
        long? baseline = null;
        if (cuda)
        {
            // Create the CUDA context first, so that the baseline includes it and the figure counts tensors only.
            using (zeros(1, device: device)) { }
            TorchSharp.torch.cuda.synchronize(device);
            baseline = PeakMemory.DeviceUsedBytes();
        }

        for (int round = 1; round <= options.Rounds; round++)
            foreach (string name in options.Models)
                foreach (int batch in options.Batches)
                {
                    var measurement = Measure(name, batch, round, options, device, baseline);
                    output.WriteLine(JsonSerializer.Serialize(measurement));
                    output.Flush();
                }
        return 0;
    }

    private static Measurement Measure(string name, int batch, int round, MeasureOptions options, Device device, long? baseline)
    {
        bool cuda = device.type == DeviceType.CUDA;
        var dtype = options.ScalarType;
        bool half = dtype != ScalarType.Float32;
        int size = options.Size ?? ModelZoo.Pretrained(name).InputSize;
        manual_seed(0);
        using var model = ModelZoo.Create(name);
        model.to(device);
        optim.Optimizer? optimizer = null;
        MixedPrecisionTrainer? trainer = null;
        if (options.Training && half)
            trainer = new MixedPrecisionTrainer(model, dtype, p => new Sgd(p, 0.01, momentum: 0.9),
                dtype == ScalarType.Float16 ? new DynamicLossScaler() : null);
        else if (options.Training)
            optimizer = new Sgd(model.parameters(), 0.01, momentum: 0.9);
        else if (half)
            HalfPrecision.ToHalfPrecision(model, dtype);
        model.train(options.Training);
        if (options.ChannelsLast)
            ChannelsLast.ToChannelsLast(model);

        using var random = randn(new long[] { batch, 3, size, size }, dtype: dtype, device: device);
        using var input = options.ChannelsLast ? ChannelsLast.ToChannelsLast(random) : random.alias();
        using var labels = randint(0, model.NumClasses, new long[] { batch }, device: device);
        try
        {
            void Step()
            {
                using var scope = NewDisposeScope();
                if (trainer is not null)
                {
                    trainer.Step(() => nn.functional.cross_entropy(model.call(input).to(ScalarType.Float32), labels));
                    return;
                }
                if (optimizer is null)
                {
                    using var _ = no_grad();
                    model.call(input);
                    return;
                }
                model.zero_grad();
                nn.functional.cross_entropy(model.call(input), labels).backward();
                optimizer.step();
            }

            void Sync()
            {
                if (cuda)
                    TorchSharp.torch.cuda.synchronize(device);
            }

            for (int i = 0; i < options.Warmup; i++)
                Step();
            Sync();

            var throughput = Stopwatch.StartNew();
            for (int i = 0; i < options.Iterations; i++)
                Step();
            Sync();
            double total = throughput.Elapsed.TotalMilliseconds;

            var latencies = new double[options.Iterations];
            for (int i = 0; i < latencies.Length; i++)
            {
                var watch = Stopwatch.StartNew();
                Step();
                Sync();
                latencies[i] = watch.Elapsed.TotalMilliseconds;
            }
            Array.Sort(latencies);
            double median = latencies.Length % 2 == 1
                ? latencies[latencies.Length / 2]
                : (latencies[latencies.Length / 2 - 1] + latencies[latencies.Length / 2]) / 2;
            var (peak, kind) = PeakMemory.Read(cuda, baseline);
            var switches = CudaSettings.Current;
            return new Measurement(Implementation, name, options.Mode, device.ToString(), options.DType, batch, size, round,
                Math.Round(batch * options.Iterations * 1000.0 / total, 2), Math.Round(total / options.Iterations, 3),
                Math.Round(median, 3), Math.Round(latencies[0], 3), options.Warmup, options.Iterations,
                switches.CudnnBenchmark, switches.ConvolutionTf32, switches.MatmulTf32, options.ChannelsLast,
                peak is { } mb ? Math.Round(mb, 1) : null, kind, get_num_threads());
        }
        finally
        {
            trainer?.Dispose();
            optimizer?.Dispose();
        }
    }
}
