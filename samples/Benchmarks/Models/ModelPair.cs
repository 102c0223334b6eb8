using System;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Benchmarks.Flat;
using ResNeStBlocks.Benchmarks.Runtime;
using ResNeStBlocks.Zoo;
using static TorchSharp.torch;

namespace ResNeStBlocks.Benchmarks.Models;

/// <summary>A zoo model, its flat twin over the same tensors, and an input at the model's pretrained size.</summary>
public sealed class ModelPair : IDisposable
{
    /// <summary>Builds the pair, randomises the norms and verifies the twin (eval and train mode) before anything is timed.</summary>
    public ModelPair(string name, int batch)
    {
        BenchmarkRuntime.PrepareCpu();
        manual_seed(2020);
        Model = ModelZoo.Create(name);
        WeightRandomizer.RandomizeNorms(Model);
        Flat = new FlatResNeSt(Model.state_dict());
        int size = ModelZoo.Pretrained(name).InputSize;
        Input = randn(new long[] { batch, 3, size, size });
        Labels = randint(0, Model.NumClasses, new long[] { batch });
        // Two images are as telling as eight and cost a quarter: check on the first two.
        using (var sample = Input.narrow(0, 0, Math.Min(batch, 2)))
            MaxDifference = BaselineCheck.Verify(Model, Flat, sample);
    }

    public ResNet Model { get; }

    public FlatResNeSt Flat { get; }

    public Tensor Input { get; }

    public Tensor Labels { get; }

    /// <summary>Largest |library - flat| seen by the check.</summary>
    public double MaxDifference { get; }

    public void Dispose()
    {
        Input.Dispose();
        Labels.Dispose();
        Model.Dispose();
    }
}
