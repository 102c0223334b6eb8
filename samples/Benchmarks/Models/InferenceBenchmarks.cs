using BenchmarkDotNet.Attributes;
using static TorchSharp.torch;

namespace ResNeStBlocks.Benchmarks.Models;

/// <summary>Eval-mode, no-grad forward of a whole model against its flat functional twin.</summary>
[Config(typeof(ModelBenchmarkConfig))]
public class InferenceBenchmarks
{
    private ModelPair pair = null!;

    [Params("resnest50d", "resnest101e")]
    public string Model { get; set; } = "resnest50d";

    [Params(1, 8)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup() => pair = new ModelPair(Model, Batch);

    [GlobalCleanup]
    public void Cleanup() => pair.Dispose();

    [Benchmark(Baseline = true, Description = "flat functional")]
    public void Flat()
    {
        using var _ = no_grad();
        pair.Flat.Forward(pair.Input, training: false).Dispose();
    }

    [Benchmark(Description = "library")]
    public void Library()
    {
        using var _ = no_grad();
        pair.Model.call(pair.Input).Dispose();
    }
}
