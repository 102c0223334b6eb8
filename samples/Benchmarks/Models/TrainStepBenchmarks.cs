using BenchmarkDotNet.Attributes;
using ResNeStBlocks.Training;
using static TorchSharp.torch;

namespace ResNeStBlocks.Benchmarks.Models;

/// <summary>One SGD step (train-mode forward, cross-entropy, backward, update) at batch 8.</summary>
[Config(typeof(ModelBenchmarkConfig))]
public class TrainStepBenchmarks
{
    private ModelPair pair = null!;
    private Sgd optimizer = null!;

    [Params("resnest50d", "resnest101e")]
    public string Model { get; set; } = "resnest50d";

    [Params(8)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        pair = new ModelPair(Model, Batch);
        pair.Model.train();
        optimizer = new Sgd(pair.Model.parameters(), 0.01, momentum: 0.9);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        optimizer.Dispose();
        pair.Dispose();
    }

    [Benchmark(Baseline = true, Description = "flat functional")]
    public void Flat() => Step(pair.Flat.Forward(pair.Input, training: true));

    [Benchmark(Description = "library")]
    public void Library() => Step(pair.Model.call(pair.Input));

    private void Step(Tensor logits)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        nn.functional.cross_entropy(logits, pair.Labels).backward();
        optimizer.step();
        logits.Dispose();
    }
}
