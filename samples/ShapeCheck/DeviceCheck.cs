using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Runtime;
using ResNeStBlocks.Zoo;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.ShapeCheck;

/// <summary>
/// <c>ShapeCheck --device cuda[:N] [model ...]</c>: runs zoo models with the same deterministic weights and input on
/// the device and on the CPU and prints the largest relative difference of the logits per model.
/// </summary>
/// <remarks>
/// TF32 and cuDNN benchmark mode are off during the check (TF32 rounds float32 products to about 1e-3, and the
/// autotuner may pick a different algorithm per run), then put back. Weights are the zoo's seeded initialisation with
/// seeded BatchNorm scales and statistics, so that no residual branch starts as zero. Exit codes: 0 every model
/// within <see cref="Tolerance"/>, 1 a model differs more, 2 a bad argument, 3 CUDA is not available in this process.
/// </remarks>
public static class DeviceCheck
{
    /// <summary>Largest allowed <c>max |device - cpu| / max |cpu|</c> of the logits.</summary>
    public const double Tolerance = 1e-4;

    /// <summary>Exit code when the device cannot be used because CUDA is not available.</summary>
    public const int NoCudaExitCode = 3;

    private const int Batch = 2;
    private const int Size = 224;

    /// <summary>Runs the check; <paramref name="device"/> <c>cpu</c> compares the CPU with itself (a test of the check).</summary>
    public static int Run(string device, IReadOnlyList<string> models, TextWriter output)
    {
        Device target;
        try
        {
            target = ComputeDevice.Parse(device);
        }
        catch (ArgumentException e)
        {
            bool noCuda = e.Message.Contains("CUDA is not available", StringComparison.Ordinal);
            output.WriteLine(noCuda
                ? $"No GPU check: CUDA is not available in this process (device '{device}'). Run it on a machine with an NVIDIA GPU and driver, " +
                  "built with the CUDA runtime: dotnet run -c Release -p:TorchBackend=cuda --project samples/ShapeCheck -- --device cuda"
                : e.Message);
            return noCuda ? NoCudaExitCode : 2;
        }
        var names = models.Count > 0 ? models : ModelZoo.Names;
        var unknown = names.Where(n => !ModelZoo.Contains(n)).ToList();
        if (unknown.Count > 0)
        {
            output.WriteLine($"Unknown model(s): {string.Join(", ", unknown)}. Known: {string.Join(", ", ModelZoo.Names)}");
            return 2;
        }

        NativeRuntime.VerifyCpuConvolution();
        var culture = CultureInfo.InvariantCulture;
        output.WriteLine($"{"model",-22} {"max |diff| / max |cpu|",24}  check   (batch {Batch}, {Size}x{Size}, float32, TF32 off, {target} vs cpu)");
        int failures = 0;
        using (CudaSettings.Use(cudnnBenchmark: false, tf32: false))
        {
            foreach (string name in names)
            {
                double difference = RelativeDifference(name, target);
                bool ok = difference <= Tolerance;
                failures += ok ? 0 : 1;
                output.WriteLine($"{name,-22} {difference.ToString("0.00e+00", culture),24}  {(ok ? "ok" : "TOO LARGE")}");
            }
        }
        output.WriteLine(failures == 0
            ? $"All {names.Count} models agree within {Tolerance.ToString("G", culture)} on {target} and cpu."
            : $"{failures} of {names.Count} models differ by more than {Tolerance.ToString("G", culture)} between {target} and cpu.");
        return failures == 0 ? 0 : 1;
    }

    /// <summary><c>max |device - cpu| / max |cpu|</c> of one model's logits.</summary>
    public static double RelativeDifference(string name, Device device)
    {
        using var scope = NewDisposeScope();
        manual_seed(2020);
        using var model = ModelZoo.Create(name);
        SeedNorms(model);
        model.eval();
        var input = randn(new long[] { Batch, 3, Size, Size }, generator: new Generator(7, CPU), device: CPU);
        using var noGrad = no_grad();
        var expected = model.call(input);
        model.to(device);
        var actual = model.call(input.to(device)).cpu();
        return ((actual - expected).abs().max() / expected.abs().max()).item<float>();
    }

    /// <summary>BatchNorm scales and statistics from a seeded generator: timm's zero-initialised last scales would hide whole branches.</summary>
    private static void SeedNorms(ResNet model)
    {
        using var generator = new Generator(11, CPU);
        using var noGrad = no_grad();
        foreach (var norm in model.modules().OfType<BatchNorm2d>())
        {
            norm.weight!.uniform_(0.5, 1.5, generator);
            norm.bias!.uniform_(-0.1, 0.1, generator);
            norm.running_mean!.uniform_(-0.1, 0.1, generator);
            norm.running_var!.uniform_(0.5, 1.5, generator);
        }
    }
}
