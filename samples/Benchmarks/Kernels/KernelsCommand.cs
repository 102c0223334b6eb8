using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Benchmarks.Runtime;
using static TorchSharp.torch;

namespace ResNeStBlocks.Benchmarks.Kernels;

/// <summary>
/// <c>kernels [rounds]</c>: compares op sequences for the attention tails at ResNeSt-50's stage-2 shape
/// (Split-Attention: [8, radix x 128, 56, 56] after the grouped convolution, radix 2 and 4; Selective Kernel: two branches of
/// [8, 128, 56, 56]), forward without grad and forward + backward, in alternating rounds.
/// </summary>
public static class KernelsCommand
{
    public static int Run(int rounds)
    {
        BenchmarkRuntime.PrepareCpu();
        manual_seed(1);
        foreach (int radix in new[] { 2, 4 })
        {
            using var splitAttention = new SplitAttentionTails(channels: 128, radix: radix, attentionChannels: 64);
            using var x = randn(8, radix * 128, 56, 56).relu_();
            Console.WriteLine($"Split-Attention tail, x = [8, {radix} x 128, 56, 56], radix {radix}:");
            Compare(splitAttention.Variants, new[] { x }, rounds);
        }
        using (var selectiveKernel = new SelectiveKernelTails(channels: 128, attentionChannels: 32))
        using (var b0 = randn(8, 128, 56, 56).relu_())
        using (var b1 = randn(8, 128, 56, 56).relu_())
        {
            Console.WriteLine("Selective Kernel tail, two branches of [8, 128, 56, 56]:");
            Compare(selectiveKernel.Variants.Select(v => (v.Name, (Func<Tensor[], Tensor>)(t => v.Tail(t[0], t[1])))).ToArray(),
                new[] { b0, b1 }, rounds);
        }
        return 0;
    }

    private static void Compare(IReadOnlyList<(string Name, Func<Tensor[], Tensor> Tail)> variants, Tensor[] inputs, int rounds)
    {
        var withGrad = inputs.Select(t => t.detach().clone().requires_grad_()).ToArray();
        using (var _ = no_grad())
        {
            var reference = variants[0].Tail(inputs);
            foreach (var (name, tail) in variants)
                Console.WriteLine($"  {name,-24} max |diff| vs first: {(tail(inputs) - reference).abs().max().item<float>():G3}");
        }
        Tensor[]? referenceGrads = null;
        foreach (var (name, tail) in variants)
        {
            foreach (var t in withGrad)
                t.grad?.zero_();
            using (var scope = NewDisposeScope())
            {
                var output = tail(withGrad);
                output.mul(output).sum().backward();
            }
            var grads = withGrad.Select(t => t.grad!.clone()).ToArray();
            referenceGrads ??= grads;
            double worst = grads.Zip(referenceGrads, (g, r) => (g - r).abs().max().item<float>()).Max();
            Console.WriteLine($"  {name,-24} max |grad diff| vs first: {worst:G3}");
        }
        var forward = AlternatingTimer.Run(variants.Select(v => (v.Name, (Action)(() =>
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            v.Tail(inputs);
        }))).ToArray(), warmup: 3, rounds);
        var backward = AlternatingTimer.Run(variants.Select(v => (v.Name, (Action)(() =>
        {
            using var scope = NewDisposeScope();
            v.Tail(withGrad).sum().backward();
        }))).ToArray(), warmup: 3, rounds);
        Console.WriteLine($"  {"variant",-24} {"forward ms",12} {"fwd+bwd ms",12}   (medians of {rounds} alternating rounds)");
        for (int i = 0; i < forward.Count; i++)
            Console.WriteLine($"  {forward[i].Name,-24} {forward[i].MedianMs,12:F2} {backward[i].MedianMs,12:F2}");
        foreach (var t in withGrad)
            t.Dispose();
    }
}
