using System;
using System.Diagnostics;
using System.Linq;
using System.Text.Json;
using ResNeStBlocks.Benchmarks.Runtime;
using ResNeStBlocks.Runtime;
using ResNeStBlocks.Zoo;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Benchmarks.Measure;

/// <summary>
/// Times any zoo model on any device and dtype, inference (eval, no grad) or a training step (SGD on
/// cross-entropy against random labels), and prints one JSON line per model and batch.
/// </summary>
public static class MeasureCommand
{
    public static int Run(MeasureOptions options)
    {
        var device = new Device(options.Device);
        bool cuda = device.type == DeviceType.CUDA;
        if (cuda && !TorchSharp.torch.cuda.is_available())
            throw new ArgumentException($"--device {options.Device}: CUDA is not available (build with -p:TorchBackend=cuda on a GPU machine).");
        if (device.type == DeviceType.CPU)
            BenchmarkRuntime.PrepareCpu();
        if (options.Threads is { } threads)
            set_num_threads(threads);

        foreach (string name in options.Models)
            foreach (int batch in options.Batches)
            {
                var measurement = Measure(name, batch, options, device);
                Console.WriteLine(JsonSerializer.Serialize(measurement));
            }
        return 0;
    }

    private static Measurement Measure(string name, int batch, MeasureOptions options, Device device)
    {
        bool cuda = device.type == DeviceType.CUDA;
        int size = options.Size ?? ModelZoo.Pretrained(name).InputSize;
        manual_seed(0);
        using var model = ModelZoo.Create(name);
        model.to(device).to(options.ScalarType);
        model.train(options.Training);
        using var input = randn(new long[] { batch, 3, size, size }, dtype: options.ScalarType, device: device);
        using var labels = randint(0, model.NumClasses, new long[] { batch }, device: device);
        using var optimizer = options.Training ? optim.SGD(model.parameters(), 0.01, momentum: 0.9) : null;

        void Step()
        {
            using var scope = NewDisposeScope();
            if (optimizer is null)
            {
                using var _ = no_grad();
                model.call(input);
                return;
            }
            optimizer.zero_grad();
            var logits = model.call(input).to_type(ScalarType.Float32);
            nn.functional.cross_entropy(logits, labels).backward();
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
        var times = new double[options.Iterations];
        for (int i = 0; i < times.Length; i++)
        {
            var watch = Stopwatch.StartNew();
            Step();
            Sync();
            times[i] = watch.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        double median = times.Length % 2 == 1 ? times[times.Length / 2] : (times[times.Length / 2 - 1] + times[times.Length / 2]) / 2;
        var (peak, kind) = PeakMemory.Read(cuda);
        return new Measurement(name, options.Mode, device.ToString(), options.DType, batch, size,
            Math.Round(batch * 1000.0 / median, 2), Math.Round(median, 2), Math.Round(times[0], 2), times.Length,
            peak is { } mb ? Math.Round(mb, 1) : null, kind, get_num_threads());
    }
}
