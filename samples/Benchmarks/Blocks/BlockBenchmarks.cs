using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Benchmarks.Flat;
using ResNeStBlocks.Blocks;
using ResNeStBlocks.Layers;
using ResNeStBlocks.Benchmarks.Runtime;
using static TorchSharp.torch;

namespace ResNeStBlocks.Benchmarks.Blocks;

/// <summary>
/// The first ResNeStBottleneck of each ResNeSt-50 stage and its SplitAttention, forward (eval, no grad)
/// and forward + backward (train mode, gradients of the parameters).
/// </summary>
[Config(typeof(BlockBenchmarkConfig))]
public class BlockBenchmarks
{
    private nn.Module<Tensor, Tensor> block = null!;
    private nn.Module<Tensor, Tensor> attention = null!;
    private Tensor blockInput = null!;
    private Tensor attentionInput = null!;

    public static IEnumerable<Stage> Stages => Stage.ResNeSt50;

    [ParamsSource(nameof(Stages))]
    public Stage Stage { get; set; } = Stage.ResNeSt50[0];

    [Params(8)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        BenchmarkRuntime.PrepareCpu();
        manual_seed(2020);
        var s = Stage;
        var spec = new ResNeStSpec();
        int outChannels = s.Planes * spec.Expansion;
        block = new ResNeStBottleneck(s.InPlanes, s.Planes, spec,
            new BlockPlacement(s.Stride, Downsample.Average(s.InPlanes, outChannels, s.Stride)));
        attention = new SplitAttention(s.Planes, s.Planes, new SplitAttentionOptions(Groups: 1, Radix: 2));
        WeightRandomizer.RandomizeNorms(block);
        WeightRandomizer.RandomizeNorms(attention);
        blockInput = randn(new long[] { Batch, s.InPlanes, s.Side, s.Side });
        attentionInput = randn(new long[] { Batch, s.Planes, s.Side, s.Side });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        block.Dispose();
        attention.Dispose();
        blockInput.Dispose();
        attentionInput.Dispose();
    }

    [Benchmark(Description = "ResNeStBottleneck forward")]
    public void BottleneckForward() => Forward(block, blockInput);

    [Benchmark(Description = "ResNeStBottleneck forward+backward")]
    public void BottleneckBackward() => ForwardBackward(block, blockInput);

    [Benchmark(Description = "SplitAttention forward")]
    public void SplitAttentionForward() => Forward(attention, attentionInput);

    [Benchmark(Description = "SplitAttention forward+backward")]
    public void SplitAttentionBackward() => ForwardBackward(attention, attentionInput);

    private static void Forward(nn.Module<Tensor, Tensor> module, Tensor input)
    {
        module.eval();
        using var _ = no_grad();
        module.call(input).Dispose();
    }

    private static void ForwardBackward(nn.Module<Tensor, Tensor> module, Tensor input)
    {
        module.train();
        using var scope = NewDisposeScope();
        foreach (var parameter in module.parameters())
            parameter.grad?.zero_();
        module.call(input).sum().backward();
    }
}
